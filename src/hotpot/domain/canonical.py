"""Canonical bytes and content identifiers (CIDs) of settlement records.

A settled order or walk-in receipt is published as a small JSON document. To make
its CID reproducible by anyone, the document is serialised canonically:

* RFC 8785 (JSON Canonicalization Scheme) restricted to what our records hold:
  objects, arrays, strings and integers (no floats, booleans or null);
* object keys sorted, no whitespace, UTF-8;
* integers within the IEEE-754 safe range (|n| < 2**53), so that a JavaScript
  JCS implementation reads and writes the very same digits.

The CID is CIDv1, codec `raw`, multihash sha2-256, multibase base32 — exactly what
Kubo's `add?cid-version=1&raw-leaves=true` returns for a payload that fits in one
block (at most 256 KiB, Kubo's default chunk size; see `MAX_BLOCK_SIZE`).

Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeAlias

from multiformats import CID, multihash

#: Kubo's default chunker is `size-262144`: payloads up to this size are one raw block
#: whose CID is the raw CID of the bytes; larger ones become a UnixFS DAG.
MAX_BLOCK_SIZE = 262_144

#: Largest integer JCS can carry losslessly (JavaScript's Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 2**53 - 1

SCHEMA = "hotpot.settlement/1"

CanonicalValue: TypeAlias = "str | int | Sequence[CanonicalValue] | Mapping[str, CanonicalValue]"

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_MAX_ID_LENGTH = 128


class CanonicalError(ValueError):
    """A value cannot be (or was not) serialised canonically."""


# --- canonical JSON ----------------------------------------------------------------


def _check(value: Any, path: str) -> None:
    """Refuse anything outside the restricted JCS subset, naming where it was found."""
    if isinstance(value, bool | float | bytes | bytearray) or value is None:
        raise CanonicalError(f"{path}: {type(value).__name__} is not allowed")
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalError(f"{path}: integer {value} is outside the safe range")
    elif isinstance(value, str):
        _check_string(value, path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            _check_string(key, path)
            _check(item, f"{path}.{key}")
    elif isinstance(value, Sequence):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
    else:
        raise CanonicalError(f"{path}: {type(value).__name__} is not allowed")


def _check_string(value: str, path: str) -> None:
    # Lone surrogates have no UTF-8 form: JCS requires valid Unicode.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"{path}: string is not valid Unicode") from exc


def canonical_json(value: CanonicalValue) -> bytes:
    """Serialise `value` as RFC 8785 canonical JSON (ints and strings only) in UTF-8.

    Python's encoder with sorted keys, compact separators and `ensure_ascii=False`
    escapes strings exactly as JCS does (`\\"`, `\\\\`, `\\b\\f\\n\\r\\t`, other controls
    as lowercase `\\u00xx`, everything else literal). Keys are ASCII in our records,
    so code-point order equals JCS's UTF-16 order; for non-BMP keys we sort by UTF-16.
    """
    _check(value, "$")
    return _encode(value).encode("utf-8")


def _encode(value: CanonicalValue) -> str:
    if isinstance(value, str | int):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        members = (f"{_encode(key)}:{_encode(value[key])}" for key in keys)
        return "{" + ",".join(members) + "}"
    return "[" + ",".join(_encode(item) for item in value) + "]"


def parse_canonical(data: bytes) -> Any:
    """Parse canonical JSON bytes, refusing any that are not in canonical form."""
    try:
        value = json.loads(
            data.decode("utf-8"), parse_float=_refuse_float, parse_constant=_refuse_float
        )
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CanonicalError(f"not JSON: {exc}") from exc
    if canonical_json(value) != data:
        raise CanonicalError("JSON is not in canonical form")
    return value


def _refuse_float(text: str) -> Any:
    raise CanonicalError(f"number {text} is not an integer")


# --- CIDs --------------------------------------------------------------------------


def raw_cid(data: bytes) -> str:
    """CIDv1 (raw codec, sha2-256) of `data`, in base32 — Kubo's CID for one raw block."""
    return str(CID("base32", 1, "raw", multihash.digest(data, "sha2-256")))


def parse_cid(text: str) -> CID:
    """Decode a CID string in any multibase; raises CanonicalError if it is not one."""
    try:
        return CID.decode(text)
    except (ValueError, KeyError) as exc:
        raise CanonicalError(f"not a CID: {text!r}") from exc


def matches_raw_cid(cid: str, data: bytes) -> bool:
    """True when `cid` is a raw sha2-256 CID (any version/base) of exactly `data`."""
    parsed = parse_cid(cid)
    if parsed.codec.name != "raw" or parsed.hashfun.name != "sha2-256":
        return False
    return bool(parsed.digest == multihash.digest(data, "sha2-256"))


# --- the settlement record ---------------------------------------------------------


class RecordKind(StrEnum):
    ORDER = "order"
    RECEIPT = "receipt"


class Token(StrEnum):
    THP = "THP"
    SPOT = "SPOT"


def _address(value: str) -> str:
    """EVM address, lowercased: checksum casing is presentation, not content."""
    if not _ADDRESS.fullmatch(value):
        raise CanonicalError(f"not an EVM address: {value!r}")
    return value.lower()


def _identifier(value: str, name: str) -> str:
    if not value or len(value) > _MAX_ID_LENGTH:
        raise CanonicalError(f"{name} must be 1..{_MAX_ID_LENGTH} characters")
    return value


def _units(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CanonicalError(f"{name} must be an integer")
    if not 0 <= value <= MAX_SAFE_INTEGER:
        raise CanonicalError(f"{name} must be in 0..2**53-1")
    return value


def iso_utc(moment: datetime) -> str:
    """One spelling per instant: UTC, microseconds, `Z` suffix."""
    if moment.tzinfo is None:
        raise CanonicalError("timestamps must be timezone-aware")
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_iso_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.removesuffix("Z") + "+00:00")
    if iso_utc(moment) != text:
        raise CanonicalError(f"timestamp not in canonical form: {text!r}")
    return moment


@dataclass(frozen=True, slots=True)
class Mint:
    """One on-chain mint a settlement implies: `units` of `token` to address `to`."""

    token: Token
    to: str
    units: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "token", Token(self.token))
        object.__setattr__(self, "to", _address(self.to))
        _units(self.units, "units")

    def document(self) -> dict[str, CanonicalValue]:
        return {"token": self.token.value, "to": self.to, "units": self.units}


def _mint_order(mint: Mint) -> tuple[str, str, int]:
    return (mint.token.value, mint.to, mint.units)


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """What is published for one settled order or walk-in receipt.

    `amount_tetri` is the purchase amount; `mints` is every token mint the purchase
    rule produced (owner, franchisee, charity, buyer or custody). Mints are kept
    sorted so the same facts always give the same bytes.
    """

    kind: RecordKind
    record_id: str
    node_id: str
    amount_tetri: int
    occurred_at: datetime
    mints: tuple[Mint, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RecordKind(self.kind))
        _identifier(self.record_id, "record_id")
        _identifier(self.node_id, "node_id")
        _units(self.amount_tetri, "amount_tetri")
        iso_utc(self.occurred_at)  # refuses naive datetimes early
        object.__setattr__(self, "mints", tuple(sorted(self.mints, key=_mint_order)))

    def document(self) -> dict[str, CanonicalValue]:
        return {
            "schema": SCHEMA,
            "kind": self.kind.value,
            "id": self.record_id,
            "node": self.node_id,
            "amount_tetri": self.amount_tetri,
            "occurred_at": iso_utc(self.occurred_at),
            "mints": [mint.document() for mint in self.mints],
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.document())

    def cid(self) -> str:
        return raw_cid(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> SettlementRecord:
        """Parse published bytes; refuses non-canonical or foreign documents."""
        doc = parse_canonical(data)
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise CanonicalError(f"not a {SCHEMA} document")
        expected = {"schema", "kind", "id", "node", "amount_tetri", "occurred_at", "mints"}
        if set(doc) != expected:
            raise CanonicalError(f"fields must be exactly {sorted(expected)}")
        try:
            record = cls(
                kind=RecordKind(doc["kind"]),
                record_id=doc["id"],
                node_id=doc["node"],
                amount_tetri=doc["amount_tetri"],
                occurred_at=parse_iso_utc(doc["occurred_at"]),
                mints=tuple(
                    Mint(token=Token(m["token"]), to=m["to"], units=m["units"])
                    for m in doc["mints"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CanonicalError(f"malformed record: {exc}") from exc
        if record.to_bytes() != data:
            raise CanonicalError("record is not in canonical form")
        return record
