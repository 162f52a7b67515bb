"""The layering of docs/architecture.md, checked on the real import graph (grimp).

Layers, bottom to top; a module may import only its own layer or lower ones:

0. domain           pure rules and values, no I/O
1. foundations      config, validation (pydantic bases), telemetry, security
2. adapters         adapters/, chain/ (the chain's client and contracts), context
3. slices           each slice's service, repository, tables and schemas
4. edge             http/, web/ (the pages), every slice's `api` module, ops' routes
5. entry points     bootstrap (builds every adapter once), app, cli, serve, seed, migrations

Slices may use each other only without loops: the graph of slice folders (edge modules
left out) must be acyclic. Below the edge nothing imports FastAPI or Starlette.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGE = "hotpot"

FOUNDATIONS = {"config", "validation", "telemetry", "security"}
ADAPTERS = {"adapters", "chain", "context", "contracts"}
BOOTSTRAP = {"bootstrap", "app", "cli", "serve", "seed", "migrations"}
EDGE_FOLDERS = {"http", "web"}
# Modules inside a slice folder that belong to the edge.
EDGE_MODULES = {"api", "profiling"}
WEB_FRAMEWORKS = ("fastapi", "starlette")

LAYER_NAMES = ("domain", "foundations", "adapters", "slices", "edge", "bootstrap")


def _parts(module: str) -> list[str]:
    return module.split(".")[1:]


def layer_of(module: str) -> int:
    parts = _parts(module)
    if not parts:
        return 5
    top = parts[0]
    if top == "domain":
        return 0
    if top in FOUNDATIONS:
        return 1
    if top in ADAPTERS:
        return 2
    if top in BOOTSTRAP:
        return 5
    if top in EDGE_FOLDERS:
        return 4
    if len(parts) > 1 and parts[1] in EDGE_MODULES:
        return 4
    return 3


def slice_of(module: str) -> str | None:
    """The slice folder a non-edge slice module belongs to."""
    if layer_of(module) != 3:
        return None
    return _parts(module)[0]


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, *WEB_FRAMEWORKS, cache_dir=None)


def _package_modules(graph: grimp.ImportGraph) -> list[str]:
    return sorted(m for m in graph.modules if m == PACKAGE or m.startswith(PACKAGE + "."))


def test_no_module_imports_a_layer_above_its_own(graph: grimp.ImportGraph) -> None:
    upward = []
    for module in _package_modules(graph):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith(PACKAGE + ".") and layer_of(imported) > layer_of(module):
                upward.append(
                    f"{module} ({LAYER_NAMES[layer_of(module)]}) imports "
                    f"{imported} ({LAYER_NAMES[layer_of(imported)]})"
                )
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_nothing_below_the_edge_imports_the_web_framework(graph: grimp.ImportGraph) -> None:
    leaks = [
        f"{module} imports {imported}"
        for module in _package_modules(graph)
        if layer_of(module) < 4
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.split(".")[0] in WEB_FRAMEWORKS
    ]
    assert not leaks, "the web framework below the edge:\n" + "\n".join(leaks)


def _slice_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module in _package_modules(graph):
        source = slice_of(module)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = slice_of(imported) if imported.startswith(PACKAGE + ".") else None
            if target is not None and target != source:
                edges.setdefault(source, set()).add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph, as the list of its nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_slices_import_each_other_without_loops(graph: grimp.ImportGraph) -> None:
    cycle = find_cycle(_slice_edges(graph))
    assert cycle is None, "slice folders import each other in a loop: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_planted_loop() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None
