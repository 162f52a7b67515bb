"""Compile the platform's Vyper contracts at run time, caching the output per source hash.

The `.vy` sources ship inside the package (`hotpot/contracts/`); nothing compiled is
committed. The cache key covers everything that changes the bytecode: the compiler
version, the snekmate version the sources import, the compiler settings and the text
of every contract source in the package (contracts import one another's interfaces).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hotpot
from hotpot.adapters.files import write_atomically

CONTRACT_NAMES: tuple[str, ...] = ("thp", "spot", "settlement_registry", "governance_anchor")

# Bumped when the cache file layout changes, so old files are never misread.
_CACHE_FORMAT = "1"


class ContractCompileError(RuntimeError):
    """A contract could not be compiled, or its compiler output was not what we expect."""


@dataclass(frozen=True)
class CompiledContract:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    """Creation (init) code: deploy it with the ABI-encoded constructor arguments appended."""
    bytecode_runtime: bytes
    source_hash: str
    compiler_version: str


def contracts_dir() -> Path:
    """The folder holding the package's `.vy` sources."""
    return Path(hotpot.__file__).resolve().parent / "contracts"


def default_cache_dir() -> Path:
    """`<data dir>/cache/vyper`, the data dir being `$HOTPOT_DATA_DIR` (default `.hotpot`)."""
    return Path(os.environ.get("HOTPOT_DATA_DIR", ".hotpot")) / "cache" / "vyper"


def source_hash(name: str) -> str:
    """The cache key of contract `name`: hex sha-256 over all that shapes its bytecode."""
    _check_name(name)
    digest = hashlib.sha256()
    for part in (
        _CACHE_FORMAT,
        name,
        importlib.metadata.version("vyper"),
        importlib.metadata.version("snekmate"),
    ):
        digest.update(part.encode())
        digest.update(b"\0")
    for path in sorted(contracts_dir().glob("*.vy")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def compile_contract(name: str, cache_dir: Path | None = None) -> CompiledContract:
    """ABI and bytecode of contract `name`, from the cache when its source hash is known."""
    key = source_hash(name)
    cache_file = (cache_dir or default_cache_dir()) / f"{name}-{key}.json"
    cached = _read_cache(cache_file)
    if cached is not None:
        return cached
    compiled = _compile(name, key)
    _write_cache(cache_file, compiled)
    return compiled


def compile_all(cache_dir: Path | None = None) -> dict[str, CompiledContract]:
    return {name: compile_contract(name, cache_dir) for name in CONTRACT_NAMES}


def _check_name(name: str) -> None:
    if name not in CONTRACT_NAMES:
        raise ContractCompileError(f"unknown contract {name!r}; known: {CONTRACT_NAMES}")


def _snekmate_root() -> Path:
    """The folder that holds the `snekmate` package, i.e. the search path for its imports."""
    spec = importlib.util.find_spec("snekmate")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ContractCompileError("snekmate is not installed (see requirements/contracts.txt)")
    return Path(locations[0]).parent


def _compile(name: str, key: str) -> CompiledContract:
    # Imported here: the compiler is heavy and only needed on a cache miss.
    import vyper
    from vyper.compiler.input_bundle import FilesystemInputBundle

    bundle = FilesystemInputBundle([_snekmate_root(), contracts_dir()])
    file_input = bundle.load_file(contracts_dir() / f"{name}.vy")
    try:
        output = vyper.compile_from_file_input(
            file_input,
            input_bundle=bundle,
            output_formats=["abi", "bytecode", "bytecode_runtime"],
        )
    except Exception as exc:  # vyper raises many exception types; keep the message
        raise ContractCompileError(f"compiling {name}.vy failed: {exc}") from exc
    return _from_output(name, key, str(vyper.__version__), output)


def _from_output(name: str, key: str, version: str, output: object) -> CompiledContract:
    if not isinstance(output, dict):
        raise ContractCompileError(f"unexpected compiler output for {name}: {type(output)}")
    return CompiledContract(
        name=name,
        abi=_as_abi(output.get("abi")),
        bytecode=_as_bytes(output.get("bytecode")),
        bytecode_runtime=_as_bytes(output.get("bytecode_runtime")),
        source_hash=key,
        compiler_version=version,
    )


def _as_abi(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ContractCompileError("ABI is not a list of objects")
    return [dict(item) for item in value]


def _as_bytes(value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ContractCompileError("bytecode is not a 0x-prefixed hex string")
    return bytes.fromhex(value[2:])


def _read_cache(path: Path) -> CompiledContract | None:
    try:
        data = json.loads(path.read_text())
        return CompiledContract(
            name=str(data["name"]),
            abi=_as_abi(data["abi"]),
            bytecode=_as_bytes(data["bytecode"]),
            bytecode_runtime=_as_bytes(data["bytecode_runtime"]),
            source_hash=str(data["source_hash"]),
            compiler_version=str(data["compiler_version"]),
        )
    except (OSError, ValueError, KeyError, TypeError, ContractCompileError):
        # Missing or unreadable: compile again and overwrite.
        return None


def _write_cache(path: Path, compiled: CompiledContract) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(
        {
            "name": compiled.name,
            "abi": compiled.abi,
            "bytecode": "0x" + compiled.bytecode.hex(),
            "bytecode_runtime": "0x" + compiled.bytecode_runtime.hex(),
            "source_hash": compiled.source_hash,
            "compiler_version": compiled.compiler_version,
        }
    )
    # A concurrent reader never sees half a file.
    write_atomically(path, payload.encode())
