"""docs/contracts.md states each contract's ABI in ethers' human-readable form; it must be
the compiled ABI exactly (issue 10 item 21: the docs had three outputs for `batches`, 7
fields for `BatchSettled` and a `settle` that no longer was). Every documented entry is
in the ABI with the same types, names, `indexed` flags and mutability, and every ABI
entry is documented. The ABI lines of the verifier (tools/verifier/verify.mjs) and of
docs/verify.md are the docs'.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hotpot.chain.compiler import CompiledContract

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "contracts.md"
VERIFIER = ROOT / "tools" / "verifier" / "verify.mjs"
CONTRACTS = ("thp", "spot", "settlement_registry", "governance_anchor")
_BLOCK = re.compile(r"^```abi (\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Public getters' arguments are unnamed in the ABI (`arg0`): the docs name them.
_UNNAMED = re.compile(r"^arg\d+$|^$")

Param = tuple[str, str, bool, tuple[Any, ...]]  # type, name, indexed, components


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at `start`."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()] if current.strip() else parts


def _param(text: str) -> Param:
    components: tuple[Any, ...] = ()
    if text.startswith("tuple("):
        end = _closing(text, 5)
        components = tuple(_param(p) for p in _split(text[6:end]))
        kind, _, rest = ("tuple" + text[end + 1 :]).partition(" ")
    else:
        kind, _, rest = text.partition(" ")
    words = rest.split()
    indexed = "indexed" in words
    names = [w for w in words if w != "indexed"]
    return (kind, names[0] if names else "", indexed, components)


def _documented(line: str) -> tuple[str, str, tuple[Param, ...], str, tuple[Param, ...]]:
    """(kind, name, inputs, mutability, outputs) of one human-readable ABI line."""
    head, _, _ = line.partition("(")
    open_at = len(head)
    close_at = _closing(line, open_at)
    inputs = tuple(_param(p) for p in _split(line[open_at + 1 : close_at]))
    kind, _, name = head.partition(" ")
    rest = line[close_at + 1 :].strip()
    mutability, outputs = "nonpayable", ()
    if rest.startswith("returns"):
        rest = " " + rest
    if " returns " in f" {rest} ":
        before, _, after = f" {rest}".partition(" returns ")
        after = after.strip()
        outputs = tuple(_param(p) for p in _split(after[1 : _closing(after, 0)]))
        rest = before.strip()
    if rest:
        mutability = rest
    if kind == "event":
        mutability = ""
    return (kind, name, inputs, mutability, outputs)


def _compiled_param(p: dict[str, Any]) -> Param:
    components = tuple(_compiled_param(c) for c in p.get("components", []))
    return (p["type"], p.get("name", ""), bool(p.get("indexed", False)), components)


def _compiled(entry: dict[str, Any]) -> tuple[str, str, tuple[Param, ...], str, tuple[Param, ...]]:
    kind = entry["type"]
    return (
        kind,
        entry.get("name", ""),
        tuple(_compiled_param(p) for p in entry.get("inputs", [])),
        "" if kind == "event" else entry.get("stateMutability", "nonpayable"),
        tuple(_compiled_param(p) for p in entry.get("outputs", [])),
    )


def _same_params(doc: tuple[Param, ...], abi: tuple[Param, ...]) -> bool:
    return len(doc) == len(abi) and all(
        d[0] == a[0]
        and d[2] == a[2]
        and (d[1] == a[1] or _UNNAMED.match(a[1]) is not None)
        and _same_params(d[3], a[3])
        for d, a in zip(doc, abi, strict=True)
    )


def _same(doc: tuple[Any, ...], abi: tuple[Any, ...]) -> bool:
    return (
        doc[:2] == abi[:2]
        and doc[3] == abi[3]
        and _same_params(doc[2], abi[2])
        and _same_params(doc[4], abi[4])
    )


def documented_blocks() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8")
    return {
        name: [line.strip() for line in body.splitlines() if line.strip()]
        for name, body in _BLOCK.findall(text)
    }


def test_every_contract_has_an_abi_block() -> None:
    assert sorted(documented_blocks()) == sorted(CONTRACTS)


@pytest.mark.parametrize("name", CONTRACTS)
def test_the_documented_abi_is_the_compiled_abi(
    name: str, compiled: dict[str, CompiledContract]
) -> None:
    lines = documented_blocks()[name]
    abi = [_compiled(entry) for entry in compiled[name].abi]
    unmatched = list(abi)
    for line in lines:
        doc = _documented(line)
        match = next((entry for entry in unmatched if _same(doc, entry)), None)
        assert match is not None, f"{name}: documented but not in the ABI: {line}"
        unmatched.remove(match)
    assert not unmatched, f"{name}: in the ABI but not documented: {unmatched}"


def test_a_wrong_signature_is_caught(compiled: dict[str, CompiledContract]) -> None:
    # What the docs said before: three outputs and a 7-field event.
    abi = [_compiled(entry) for entry in compiled["settlement_registry"].abi]
    wrong = [
        "function batches(bytes32 batch_id) view returns (bytes32 merkle_root, string cid, "
        "uint256 block_number)",
        "event BatchSettled(bytes32 indexed batch_id, bytes32 merkle_root, string cid, "
        "address[] thp_recipients, uint256 thp_total, address[] spot_recipients, "
        "uint256 spot_total)",
    ]
    for line in wrong:
        assert not any(_same(_documented(line), entry) for entry in abi), line


@pytest.mark.parametrize("path", [VERIFIER, ROOT / "docs" / "verify.md"])
def test_the_verifier_uses_the_documented_abi(path: Path) -> None:
    registry = set(documented_blocks()["settlement_registry"])
    used = re.findall(r"^\s*'((?:function|event) [^']+)'", path.read_text(), re.MULTILINE)
    assert used and set(used) <= registry, set(used) - registry
