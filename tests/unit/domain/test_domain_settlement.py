"""The pure batch rules: which outbox rows make a batch, and what it nets to on chain."""

from __future__ import annotations

from hotpot.domain.settlement import (
    CONTRACT_LIST_BOUND,
    Changes,
    OutboxRow,
    net_changes,
    record_kind,
    take_batch,
)

A, B, C, D = ("0x" + ch * 40 for ch in "abcd")


def _row(n: int, address: str, ref: str, token: str = "THP", delta: int = 10) -> OutboxRow:
    return OutboxRow(id=n, token=token, address=address, delta=delta, ref_kind="order", ref_id=ref)


def test_take_batch_stops_at_the_recipient_bound_between_two_purchases() -> None:
    rows = [_row(1, A, "o1"), _row(2, B, "o2"), _row(3, C, "o3")]
    assert [r.id for r in take_batch(rows, 2)] == [1, 2]


def test_take_batch_does_not_split_a_purchase_over_the_bound() -> None:
    rows = [_row(1, A, "o1"), _row(2, B, "o1"), _row(3, C, "o1"), _row(4, D, "o2")]
    # o1 touches three recipients: all of it goes in, though the bound is 1.
    assert [r.id for r in take_batch(rows, 1)] == [1, 2, 3]


def test_take_batch_never_exceeds_the_contract_bound_even_inside_one_purchase() -> None:
    rows = [_row(n, f"0x{n:040x}", "o1") for n in range(CONTRACT_LIST_BOUND + 10)]
    assert len(take_batch(rows, 1)) == CONTRACT_LIST_BOUND


def test_net_changes_nets_per_token_and_address_and_drops_zeros() -> None:
    rows = [
        ("THP", A, 10),
        ("THP", A.upper(), -4),
        ("SPOT", B, 5),
        ("SPOT", B, -5),
        ("SPOT", C, -3),
        ("THP", C, 0),
    ]
    assert net_changes(rows) == Changes(
        thp_mints=[(A, 6)], spot_mints=[], thp_burns=[], spot_burns=[(C, 3)]
    )


def test_a_sale_is_published_as_a_receipt() -> None:
    assert record_kind("sale") == "receipt"
    assert record_kind("order") == "order"
