"""Ownership caps: invariants over random sales, and the enforced one-customer cap."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.caps import (
    CapKind,
    CustomerCapExceeded,
    cap_breaches,
    ensure_within_customer_cap,
    share_bps,
    would_exceed_customer_cap,
)
from hotpot.domain.tokenomics import (
    NodeType,
    Split,
    TokenomicsChange,
    TokenomicsSettings,
    apply_tokenomics_change,
    purchase_mint,
)

FAST = settings(max_examples=200, deadline=None)

sales = st.lists(
    st.tuples(st.integers(0, 5_000_000), st.sampled_from(NodeType)), min_size=1, max_size=60
)


def ledger_after(sequence: list[tuple[int, NodeType]], cfg: TokenomicsSettings) -> dict[str, int]:
    held = {"owner": 0, "franchisees": 0, "charity": 0, "buyers": 0}
    for amount, node in sequence:
        mint = purchase_mint(amount, node, cfg, spot_already_today=0)
        held["owner"] += mint.owner
        held["franchisees"] += mint.franchisee
        held["charity"] += mint.charity
        held["buyers"] += mint.buyer
    return held


@given(sales)
@FAST
def test_caps_hold_by_construction_over_any_sales(sequence: list[tuple[int, NodeType]]) -> None:
    held = ledger_after(sequence, TokenomicsSettings())
    supply = sum(held.values())
    assert held["owner"] * 100 <= supply * 48
    assert held["franchisees"] * 100 <= supply * 24
    assert held["charity"] * 100 <= supply * 3
    assert (
        cap_breaches(
            owner_units=held["owner"], franchisees_units=held["franchisees"], supply_units=supply
        )
        == []
    )


@st.composite
def bounded_settings(draw: st.DrawFn) -> TokenomicsSettings:
    """Settings reachable through TOKENOMICS_CHANGE proposals."""
    charity = draw(st.integers(100, 500))
    owner = draw(st.integers(0, 4_800))
    owner_split = Split(owner, 0, charity, 10_000 - owner - charity)
    f_charity = draw(st.integers(100, 500))
    f_owner = draw(st.integers(0, 4_800))
    franchisee = draw(st.integers(0, min(2_400, 10_000 - 4_000 - f_owner - f_charity)))
    franchise_split = Split(
        f_owner, franchisee, f_charity, 10_000 - f_owner - franchisee - f_charity
    )
    change = TokenomicsChange(
        thp_price_tetri=draw(st.integers(100, 5_000)),
        owner_node_split=owner_split,
        franchise_node_split=franchise_split,
    )
    return apply_tokenomics_change(TokenomicsSettings(), change)


@given(st.lists(st.tuples(bounded_settings(), sales), min_size=1, max_size=4))
@FAST
def test_caps_survive_governance_changes_between_sales(
    eras: list[tuple[TokenomicsSettings, list[tuple[int, NodeType]]]],
) -> None:
    totals = {"owner": 0, "franchisees": 0, "charity": 0, "buyers": 0}
    for cfg, sequence in eras:
        for party, units in ledger_after(sequence, cfg).items():
            totals[party] += units
        supply = sum(totals.values())
        assert totals["owner"] * 100 <= supply * 48
        assert totals["franchisees"] * 100 <= supply * 24
        assert totals["charity"] * 100 <= supply * 5


def test_a_breach_is_reported() -> None:
    breaches = cap_breaches(owner_units=4_801, franchisees_units=2_401, supply_units=10_000)
    assert [(b.kind, b.cap_bps) for b in breaches] == [
        (CapKind.OWNER, 4_800),
        (CapKind.FRANCHISEES, 2_400),
    ]
    assert cap_breaches(owner_units=4_800, franchisees_units=2_400, supply_units=10_000) == []


def test_a_customer_above_49_percent_is_flagged() -> None:
    at_cap = {"owner_units": 0, "franchisees_units": 0, "supply_units": 10_000}
    assert cap_breaches(**at_cap, largest_customer_units=4_900) == []
    breaches = cap_breaches(**at_cap, largest_customer_units=4_901)
    assert [(b.kind, b.holding_units, b.cap_bps) for b in breaches] == [
        (CapKind.CUSTOMER, 4_901, 4_900)
    ]
    with pytest.raises(ValueError, match="must not be negative"):
        cap_breaches(**at_cap, largest_customer_units=-1)


# --- one customer <= 49 % ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "incoming", "supply", "refused"),
    [
        (0, 4_900, 10_000, False),  # exactly 49 % is allowed
        (0, 4_901, 10_000, True),
        (4_000, 900, 10_000, False),
        (4_000, 901, 10_000, True),
        (0, 0, 0, False),  # nothing moves in an empty network
        (49, 0, 100, False),
        (0, 50, 100, True),
        # a lone buyer in a tiny network is already above 49 % by rounding: any claim refused
        (121, 0, 246, True),
    ],
)
def test_customer_cap(balance: int, incoming: int, supply: int, refused: bool) -> None:
    assert would_exceed_customer_cap(balance, incoming, supply) is refused
    if refused:
        with pytest.raises(CustomerCapExceeded, match="above the 49 % cap") as caught:
            ensure_within_customer_cap(balance, incoming, supply)
        assert caught.value.balance_after == balance + incoming
    else:
        ensure_within_customer_cap(balance, incoming, supply)


def test_customer_cap_refuses_impossible_input() -> None:
    with pytest.raises(ValueError, match="exceed the ST supply"):
        would_exceed_customer_cap(60, 50, 100)
    with pytest.raises(TypeError):
        would_exceed_customer_cap(0, 0.5, 100)  # type: ignore[arg-type]


@given(st.integers(0, 10**18).flatmap(lambda s: st.tuples(st.integers(0, s), st.just(s))))
@FAST
def test_customer_cap_matches_exact_fractions(pair: tuple[int, int]) -> None:
    after, supply = pair
    expected = supply > 0 and Fraction(after, supply) > Fraction(49, 100)
    assert would_exceed_customer_cap(after, 0, supply) is expected
    assert would_exceed_customer_cap(0, after, supply) is expected


def test_share_in_basis_points_rounds_down_and_is_zero_without_supply() -> None:
    assert share_bps(4_800, 10_000) == 4_800
    assert share_bps(1, 3) == 3_333
    assert share_bps(2, 3) == 6_666
    assert share_bps(0, 0) == 0 and share_bps(5, 0) == 0


@given(st.integers(0, 10**15), st.integers(1, 10**15))
def test_share_bps_is_the_floor_of_the_exact_share(holding: int, supply: int) -> None:
    assert share_bps(holding, supply) == int(Fraction(holding * 10_000, supply))
