"""Canonical JSON (RFC 8785 subset), raw CIDs, and the settlement record."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotpot.domain.canonical import (
    MAX_SAFE_INTEGER,
    SCHEMA,
    CanonicalError,
    Mint,
    RecordKind,
    SettlementRecord,
    Token,
    canonical_json,
    matches_raw_cid,
    parse_canonical,
    parse_cid,
    raw_cid,
)

OWNER = "0x" + "11" * 20
BUYER = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
WHEN = datetime(2024, 5, 1, 12, 30, 5, 123456, tzinfo=UTC)


# --- canonical JSON ------------------------------------------------------------------


def test_compact_sorted_utf8() -> None:
    assert canonical_json({"b": [1, "x"], "a": {"d": -3, "c": ""}}) == (
        b'{"a":{"c":"","d":-3},"b":[1,"x"]}'
    )


def test_string_escaping_follows_jcs() -> None:
    # RFC 8785 3.2.2.2: only " \ and controls are escaped; \b\f\n\r\t short forms,
    # other controls as lowercase \u00xx; everything else is literal UTF-8.
    text = 'q"b\\\b\f\n\r\t\x01\x1f\u20ac\u2028/'
    expected = '"q\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u20ac\u2028/"'.encode()
    assert canonical_json(text) == expected


def test_keys_sort_by_utf16_code_units() -> None:
    # The property-sorting example of RFC 8785 3.2.3 (values replaced by ints).
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    encoded = canonical_json({key: i for i, key in enumerate(keys)}).decode()
    order = [json.loads("{" + member + "}") for member in _members(encoded)]
    assert [next(iter(m)) for m in order] == [
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",
        "\ufb33",
    ]


def _members(encoded: str) -> list[str]:
    # Members of a flat object of int values: split on the commas between them.
    return encoded[1:-1].split(",")


@pytest.mark.parametrize(
    "value",
    [1.5, True, None, b"bytes", MAX_SAFE_INTEGER + 1, -(MAX_SAFE_INTEGER + 1), "\ud800"],
)
def test_values_outside_the_subset_are_refused(value: object) -> None:
    with pytest.raises(CanonicalError):
        canonical_json({"k": [value]})  # type: ignore[dict-item]


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(CanonicalError, match="key"):
        canonical_json({1: "x"})  # type: ignore[dict-item]


json_values = st.recursive(
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_round_trip_and_idempotence(value: object) -> None:
    encoded = canonical_json(value)  # type: ignore[arg-type]
    assert parse_canonical(encoded) == value
    assert canonical_json(parse_canonical(encoded)) == encoded
    assert json.loads(encoded) == value  # any JSON parser reads it


@given(st.dictionaries(st.text(max_size=8), st.integers(0, 100), min_size=2))
def test_insertion_order_does_not_matter(mapping: dict[str, int]) -> None:
    reversed_mapping = dict(reversed(list(mapping.items())))
    assert canonical_json(mapping) == canonical_json(reversed_mapping)


@pytest.mark.parametrize(
    "text",
    [b'{"a": 1}', b'{"b":1,"a":2}', b'{"a":1.0}', b'{"a":NaN}', b"\xff", b'{"a":1,"a":1}'],
)
def test_parse_refuses_non_canonical_bytes(text: bytes) -> None:
    with pytest.raises(CanonicalError):
        parse_canonical(text)


# --- CIDs ----------------------------------------------------------------------------


def _cid_by_hand(data: bytes) -> str:
    """CIDv1 spelled out: version 1, raw codec 0x55, sha2-256 0x12, 32-byte digest."""
    binary = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(binary).decode().lower().rstrip("=")


@given(st.binary(max_size=2048))
def test_raw_cid_is_cidv1_raw_sha256_base32(data: bytes) -> None:
    cid = raw_cid(data)
    assert cid == _cid_by_hand(data)
    assert cid.startswith("bafkrei")
    assert matches_raw_cid(cid, data)
    assert not matches_raw_cid(cid, data + b"!")


def test_matches_raw_cid_accepts_other_bases_and_refuses_other_codecs() -> None:
    cid = parse_cid(raw_cid(b"hello"))
    assert matches_raw_cid(str(cid.set(base="base58btc")), b"hello")
    assert not matches_raw_cid(str(cid.set(codec="dag-pb")), b"hello")
    with pytest.raises(CanonicalError):
        parse_cid("not-a-cid")


# --- the settlement record -----------------------------------------------------------


def make_record(**changes: object) -> SettlementRecord:
    fields: dict[str, object] = {
        "kind": RecordKind.ORDER,
        "record_id": "8b8f6c3e-0000-4000-8000-000000000001",
        "node_id": "node-7",
        "amount_tetri": 10_000,
        "occurred_at": WHEN,
        "mints": (
            Mint(Token.THP, BUYER, 980),
            Mint(Token.THP, OWNER, 960),
            Mint(Token.SPOT, BUYER, 1_000),
        ),
    }
    fields.update(changes)
    return SettlementRecord(**fields)  # type: ignore[arg-type]


def test_record_document_shape() -> None:
    doc = json.loads(make_record().to_bytes())
    assert doc == {
        "schema": SCHEMA,
        "kind": "order",
        "id": "8b8f6c3e-0000-4000-8000-000000000001",
        "node": "node-7",
        "amount_tetri": 10_000,
        "occurred_at": "2024-05-01T12:30:05.123456Z",
        "mints": [
            {"token": "SPOT", "to": BUYER.lower(), "units": 1_000},
            {"token": "THP", "to": OWNER, "units": 960},
            {"token": "THP", "to": BUYER.lower(), "units": 980},
        ],
    }


def test_record_round_trips_through_its_bytes() -> None:
    record = make_record(kind=RecordKind.RECEIPT)
    assert SettlementRecord.from_bytes(record.to_bytes()) == record
    assert record.cid() == raw_cid(record.to_bytes())


def test_same_facts_same_bytes() -> None:
    record = make_record()
    shuffled = make_record(mints=tuple(reversed(record.mints)))
    checksum_case = make_record(
        mints=tuple(Mint(m.token, m.to.upper().replace("0X", "0x"), m.units) for m in record.mints)
    )
    tbilisi = make_record(occurred_at=WHEN.astimezone(timezone(timedelta(hours=4))))
    assert {r.cid() for r in (record, shuffled, checksum_case, tbilisi)} == {record.cid()}


def test_any_changed_fact_changes_the_cid() -> None:
    base = make_record().cid()
    variants = [
        make_record(amount_tetri=10_001),
        make_record(record_id="other"),
        make_record(node_id="node-8"),
        make_record(kind=RecordKind.RECEIPT),
        make_record(occurred_at=WHEN + timedelta(microseconds=1)),
        make_record(mints=(Mint(Token.THP, BUYER, 981),)),
    ]
    assert base not in {v.cid() for v in variants}


@pytest.mark.parametrize(
    "changes",
    [
        {"amount_tetri": -1},
        {"amount_tetri": 1.5},
        {"amount_tetri": True},
        {"record_id": ""},
        {"record_id": "x" * 129},
        {"occurred_at": datetime(2024, 5, 1)},  # naive: which timezone?
        {"kind": "refund"},
    ],
)
def test_invalid_records_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_record(**changes)


@pytest.mark.parametrize(
    "mint", [("THP", "0x123", 1), ("THP", OWNER, -5), ("GOLD", OWNER, 1), ("THP", OWNER, 2**60)]
)
def test_invalid_mints_are_refused(mint: tuple[str, str, int]) -> None:
    with pytest.raises(ValueError):
        Mint(*mint)  # type: ignore[arg-type]


def test_from_bytes_refuses_foreign_or_tampered_documents() -> None:
    good = make_record().to_bytes()
    doc = json.loads(good)
    for bad in (
        {**doc, "schema": "other/1"},
        {**doc, "extra": 1},
        {k: v for k, v in doc.items() if k != "mints"},
        {**doc, "occurred_at": "2024-05-01T12:30:05Z"},  # not the canonical spelling
        {**doc, "mints": [{"token": "THP", "to": BUYER, "units": 1}]},  # mixed-case address
        {**doc, "mints": list(reversed(doc["mints"]))},  # unsorted mints
    ):
        with pytest.raises(CanonicalError):
            SettlementRecord.from_bytes(canonical_json(bad))
    with pytest.raises(CanonicalError):
        SettlementRecord.from_bytes(good.replace(b",", b", ", 1))
