"""Fixtures: the compiled contracts, deployed once per session; each test in an anchor.

Each test runs inside a `boa.env.anchor()`: whatever it does to the chain is undone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boa
import pytest

from hotpot.chain.compiler import CompiledContract, compile_all

from .deployment import System, deploy_system


@pytest.fixture(scope="session")
def compiled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, CompiledContract]:
    # pytest's cache dir keeps the compiled output between runs (keyed by source hash);
    # without the cache plugin, a fresh folder (compiling all four takes about 2 s).
    cache = getattr(request.config, "cache", None)
    cache_dir = Path(cache.mkdir("hotpot-vyper")) if cache else tmp_path_factory.mktemp("vyper")
    return compile_all(cache_dir)


@pytest.fixture(scope="session")
def deployed(compiled: dict[str, CompiledContract]) -> System:
    return deploy_system(compiled)


@pytest.fixture
def system(deployed: System) -> Iterator[System]:
    with boa.env.anchor():
        yield deployed
