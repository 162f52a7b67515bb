"""Each slice owns its tables and their SQL (issue 9): outside the slice only the migration
metadata imports a slice's `tables` module. Anyone else who needs that data calls the
owning slice's repository or service, so a table's queries are all in one place."""

from __future__ import annotations

import grimp
import pytest

from tests.unit.test_architecture import PACKAGE, WEB_FRAMEWORKS

# The one place that gathers every slice's tables, for Alembic.
GATHERERS = {"migrations"}

# The two documented readers of other slices' tables (docs/architecture.md), each for a
# reason; no other module may join this list without saying why there too.
SHARED_READS = {
    # The registry is the network's read side: the holders register joins balances with
    # their accounts and streams 100k rows from one cursor; sales per node name the node.
    "hotpot.registry.repository imports hotpot.accounts.tables",
    "hotpot.registry.repository imports hotpot.ledger.tables",
    "hotpot.registry.repository imports hotpot.network.tables",
    # The outbox is the ledger's hand-off to settlement: the ledger writes its rows in the
    # business transaction, settlement batches them and marks them settled.
    "hotpot.settlement.repository imports hotpot.ledger.tables",
    "hotpot.settlement.views imports hotpot.ledger.tables",
}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, *WEB_FRAMEWORKS, cache_dir=None)


def foreign_table_imports(graph: grimp.ImportGraph) -> list[str]:
    found = []
    for module in sorted(graph.modules):
        parts = module.split(".")
        if parts[0] != PACKAGE or len(parts) < 2 or parts[1] in GATHERERS:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            owner = target[1] if len(target) == 3 and target[0] == PACKAGE else None
            if target[-1] == "tables" and owner is not None and owner != parts[1]:
                found.append(f"{module} imports {imported}")
    return sorted(found)


def test_only_the_owning_slice_imports_its_tables(graph: grimp.ImportGraph) -> None:
    found = [line for line in foreign_table_imports(graph) if line not in SHARED_READS]
    assert not found, "tables used outside the slice that owns them:\n" + "\n".join(found)


def test_the_check_sees_a_foreign_table_import() -> None:
    planted = grimp.ImportGraph()
    for module in ("hotpot", "hotpot.menu", "hotpot.menu.repository", "hotpot.network"):
        planted.add_module(module)
    planted.add_module("hotpot.network.tables")
    planted.add_module("hotpot.migrations.metadata")
    planted.add_import(importer="hotpot.menu.repository", imported="hotpot.network.tables")
    planted.add_import(importer="hotpot.migrations.metadata", imported="hotpot.network.tables")
    assert foreign_table_imports(planted) == [
        "hotpot.menu.repository imports hotpot.network.tables"
    ]


def test_every_shared_read_is_still_real(graph: grimp.ImportGraph) -> None:
    """A shared read that is gone leaves the list, so the list never hides a new one."""
    assert set(foreign_table_imports(graph)) >= SHARED_READS
