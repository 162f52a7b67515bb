"""hotpot.chain.compiler: run-time compilation from the package's sources, cached by hash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hotpot.chain import compiler
from hotpot.chain.compiler import CONTRACT_NAMES, ContractCompileError, compile_contract


def test_every_contract_compiles_to_abi_and_bytecode(tmp_path: Path) -> None:
    for name in CONTRACT_NAMES:
        compiled = compile_contract(name, tmp_path)
        assert compiled.bytecode and compiled.bytecode_runtime
        # Creation code returns the runtime code, so it embeds it.
        assert compiled.bytecode_runtime[:64] in compiled.bytecode
        assert {"function", "event"} <= {item["type"] for item in compiled.abi}
        assert compiled.compiler_version.startswith("0.4.3")
    names = {item.get("name") for item in compile_contract("settlement_registry", tmp_path).abi}
    assert {"settle", "is_settled", "batches", "grantRole"} <= names


def test_second_compile_reads_the_cache(tmp_path: Path) -> None:
    first = compile_contract("governance_anchor", tmp_path)
    cache_file = tmp_path / f"governance_anchor-{first.source_hash}.json"
    assert cache_file.exists()

    # Mark the cached copy: a cache hit returns the marked ABI, a recompile would not.
    data = json.loads(cache_file.read_text())
    data["abi"].append({"type": "event", "name": "FromCache", "inputs": []})
    cache_file.write_text(json.dumps(data))
    again = compile_contract("governance_anchor", tmp_path)
    assert again.abi[-1]["name"] == "FromCache"
    assert again.bytecode == first.bytecode


def test_unreadable_cache_is_recompiled(tmp_path: Path) -> None:
    first = compile_contract("governance_anchor", tmp_path)
    cache_file = tmp_path / f"governance_anchor-{first.source_hash}.json"
    cache_file.write_text("{ not json")
    assert compile_contract("governance_anchor", tmp_path) == first
    assert json.loads(cache_file.read_text())["source_hash"] == first.source_hash


def test_changed_source_changes_the_hash_and_the_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "contracts"
    shutil.copytree(compiler.contracts_dir(), sources)
    monkeypatch.setattr(compiler, "contracts_dir", lambda: sources)
    cache = tmp_path / "cache"
    before = compile_contract("governance_anchor", cache)

    path = sources / "governance_anchor.vy"
    path.write_text(path.read_text().replace('keccak256("ANCHOR_ROLE")', 'keccak256("OTHER")'))
    after = compile_contract("governance_anchor", cache)
    assert after.source_hash != before.source_hash
    assert after.bytecode != before.bytecode
    assert len(list(cache.glob("governance_anchor-*.json"))) == 2


def test_compile_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "contracts"
    shutil.copytree(compiler.contracts_dir(), sources)
    monkeypatch.setattr(compiler, "contracts_dir", lambda: sources)
    (sources / "spot.vy").write_text("this is not vyper(\n")
    with pytest.raises(ContractCompileError, match=r"spot\.vy"):
        compile_contract("spot", tmp_path / "cache")


def test_unknown_contract_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContractCompileError, match="unknown contract"):
        compile_contract("../../etc/passwd", tmp_path)
