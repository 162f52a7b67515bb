"""The purchase rule: worked examples of domain.md, settings, bounds, properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.tokenomics import (
    DEFAULT_FRANCHISE_NODE_SPLIT,
    DEFAULT_OWNER_NODE_SPLIT,
    InvalidSettings,
    Mint,
    NodeType,
    Party,
    Split,
    TokenomicsChange,
    TokenomicsChangeRejected,
    TokenomicsSettings,
    apply_tokenomics_change,
    network_day,
    purchase_mint,
    split_units,
    st_units_for,
    start_of_network_day,
    tokenomics_change_problems,
)

FAST = settings(max_examples=300, deadline=None)
DEFAULT = TokenomicsSettings()

# --- worked examples (domain.md) -------------------------------------------------------


def test_owner_node_100_gel() -> None:
    mint = purchase_mint(10_000, NodeType.OWNER, DEFAULT, spot_already_today=0)
    assert mint == Mint(
        st_total=2_000,
        owner=960,
        franchisee=0,
        charity=60,
        buyer=980,
        spot=1_000,
        spot_before_cap=1_000,
    )


def test_franchise_node_100_gel() -> None:
    mint = purchase_mint(10_000, NodeType.FRANCHISE, DEFAULT, spot_already_today=0)
    assert (mint.st_total, mint.owner, mint.franchisee, mint.charity, mint.buyer) == (
        2_000,
        500,
        480,
        60,
        960,
    )
    assert mint.spot == 1_000


def test_owner_node_12_34_gel_remainder_goes_to_buyer() -> None:
    mint = purchase_mint(1_234, NodeType.OWNER, DEFAULT, spot_already_today=0)
    assert (mint.st_total, mint.owner, mint.charity, mint.buyer) == (246, 118, 7, 121)
    # 246 * 4900 / 10000 = 120.54: the floor is 120, the remainder unit is the buyer's
    assert mint.buyer == 246 * 4_900 // 10_000 + 1
    assert mint.spot == 123


def test_defaults_are_the_documented_ones() -> None:
    assert DEFAULT.thp_price_tetri == 500
    assert DEFAULT.owner_node_split == Split(4800, 0, 300, 4900)
    assert DEFAULT.franchise_node_split == Split(2500, 2400, 300, 4800)
    assert DEFAULT.tetri_per_spot == 1_000
    assert DEFAULT.spot_daily_cap_units == 1_000


@given(st.integers(min_value=0, max_value=10**15))
@FAST
def test_default_price_matches_the_20_percent_formula(amount: int) -> None:
    assert st_units_for(amount, DEFAULT) == amount * 20 // 100


@given(st.integers(min_value=0, max_value=10**15))
@FAST
def test_default_spot_rate_is_a_tenth_of_the_tetri(amount: int) -> None:
    mint = purchase_mint(amount, NodeType.OWNER, DEFAULT, spot_already_today=0)
    assert mint.spot_before_cap == amount // 10
    assert mint.spot == min(amount // 10, 1_000)


# --- SPOT daily cap --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "already", "expected"),
    [
        (10_000, 0, 1_000),  # 100 GEL earns exactly the cap
        (20_000, 0, 1_000),  # 200 GEL would earn 2 000: capped
        (5_000, 700, 300),  # only what remains of the day's cap
        (5_000, 1_000, 0),  # cap used up
        (5_000, 1_500, 0),  # more than the cap already (config lowered): never negative
        (999, 0, 99),
        (9, 0, 0),  # under 10 tetri earns nothing
    ],
)
def test_spot_daily_cap(amount: int, already: int, expected: int) -> None:
    mint = purchase_mint(amount, NodeType.FRANCHISE, DEFAULT, spot_already_today=already)
    assert mint.spot == expected


def test_the_cap_never_changes_st() -> None:
    capped = purchase_mint(20_000, NodeType.OWNER, DEFAULT, spot_already_today=1_000)
    free = purchase_mint(20_000, NodeType.OWNER, DEFAULT, spot_already_today=0)
    assert capped.parts == free.parts and capped.spot == 0


def test_network_day_is_tbilisi_time() -> None:
    # 20:30 UTC is already 00:30 next day in Tbilisi (UTC+4)
    assert str(network_day(datetime(2025, 3, 1, 20, 30, tzinfo=UTC))) == "2025-03-02"
    assert str(network_day(datetime(2025, 3, 1, 19, 59, tzinfo=UTC))) == "2025-03-01"
    plus4 = timezone(timedelta(hours=4))
    assert str(network_day(datetime(2025, 3, 2, 0, 0, tzinfo=plus4))) == "2025-03-02"
    with pytest.raises(ValueError, match="timezone-aware"):
        network_day(datetime(2025, 3, 1, 12, 0))


def test_the_network_day_starts_at_tbilisi_midnight() -> None:
    # 20:30 UTC on 1 March is 00:30 on 2 March in Tbilisi: that day began at 20:00 UTC.
    start = start_of_network_day(datetime(2025, 3, 1, 20, 30, tzinfo=UTC))
    assert start == datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=4)
    assert start_of_network_day(datetime(2025, 3, 1, 19, 59, tzinfo=UTC)) == datetime(
        2025, 2, 28, 20, 0, tzinfo=UTC
    )
    assert start_of_network_day(start) == start  # midnight is the start of its own day
    with pytest.raises(ValueError, match="timezone-aware"):
        start_of_network_day(datetime(2025, 3, 1, 12, 0))


# --- refusing bad input ----------------------------------------------------------------


@pytest.mark.parametrize("bad", [12.5, 10.0, True, "100", None])
def test_amount_must_be_an_int(bad: object) -> None:
    with pytest.raises(TypeError, match="must be an int"):
        purchase_mint(bad, NodeType.OWNER, DEFAULT, spot_already_today=0)  # type: ignore[arg-type]


def test_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        purchase_mint(-1, NodeType.OWNER, DEFAULT, spot_already_today=0)


def test_float_spot_already_today_is_refused() -> None:
    with pytest.raises(TypeError):
        purchase_mint(100, NodeType.OWNER, DEFAULT, spot_already_today=1.0)  # type: ignore[arg-type]


def test_zero_amount_mints_nothing() -> None:
    mint = purchase_mint(0, NodeType.FRANCHISE, DEFAULT, spot_already_today=0)
    assert mint.st_total == 0 and set(mint.parts.values()) == {0} and mint.spot == 0


# --- settings validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thp_price_tetri": 0}, "thp_price_tetri must be a positive int"),
        ({"thp_price_tetri": 5.0}, "thp_price_tetri must be a positive int"),
        ({"tetri_per_spot": -1}, "tetri_per_spot must be a positive int"),
        ({"spot_daily_cap_units": -1}, "spot_daily_cap_units"),
        ({"owner_node_split": Split(4800, 0, 300, 4800)}, "must sum to 10000 bps, got 9900"),
        ({"franchise_node_split": Split(2500, 2400, -300, 5400)}, "must not be negative"),
        ({"owner_node_split": Split(2500, 2400, 300, 4800)}, "no franchisee share"),
        ({"franchise_node_split": Split(2500, 2400, 300, 4800.0)}, "must be an int"),  # type: ignore[arg-type]
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidSettings, match=message):
        TokenomicsSettings(**kwargs)  # type: ignore[arg-type]


def test_unknown_node_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown node type"):
        DEFAULT.split_for("KIOSK")  # type: ignore[arg-type]


# --- governance bounds for TOKENOMICS_CHANGE -------------------------------------------


def test_a_change_within_bounds_changes_the_rule_for_later_sales() -> None:
    change = TokenomicsChange(
        thp_price_tetri=1_000,
        owner_node_split=Split(4500, 0, 100, 5400),
        spot_daily_cap_units=2_000,
    )
    new = apply_tokenomics_change(DEFAULT, change)
    assert new.thp_price_tetri == 1_000
    assert new.franchise_node_split == DEFAULT_FRANCHISE_NODE_SPLIT  # untouched
    mint = purchase_mint(10_000, NodeType.OWNER, new, spot_already_today=0)
    assert (mint.st_total, mint.owner, mint.charity, mint.buyer) == (1_000, 450, 10, 540)
    assert DEFAULT.thp_price_tetri == 500  # settings are values: the old one is unchanged


@pytest.mark.parametrize("price", [100, 5_000])
def test_price_bounds_are_inclusive(price: int) -> None:
    assert apply_tokenomics_change(DEFAULT, TokenomicsChange(thp_price_tetri=price))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (TokenomicsChange(thp_price_tetri=99), "THP price 99 tetri is outside 100..5000"),
        (TokenomicsChange(thp_price_tetri=5_001), "outside 100..5000"),
        (TokenomicsChange(thp_price_tetri=500.0), "outside"),  # type: ignore[arg-type]
        (
            TokenomicsChange(franchise_node_split=Split(2400, 2400, 1300, 3900)),
            "buyer share 3900 bps is below 4000",
        ),
        (
            TokenomicsChange(owner_node_split=Split(4800, 0, 99, 5101)),
            "charity share 99 bps is outside 100..500",
        ),
        (
            TokenomicsChange(owner_node_split=Split(4400, 0, 501, 5099)),
            "charity share 501 bps",
        ),
        (
            TokenomicsChange(owner_node_split=Split(4801, 0, 300, 4899)),
            "owner share 4801 bps exceeds the 4800 cap",
        ),
        (
            TokenomicsChange(franchise_node_split=Split(2000, 2401, 300, 5299)),
            "franchisee share 2401 bps exceeds the 2400 cap",
        ),
        (
            TokenomicsChange(owner_node_split=Split(4000, 0, 300, 5000)),
            "sum to 10000",
        ),
        (
            TokenomicsChange(owner_node_split=Split(2000, 1000, 300, 6700)),
            "no franchisee share",
        ),
        (TokenomicsChange(tetri_per_spot=0), "tetri_per_spot must be a positive int"),
        (TokenomicsChange(spot_daily_cap_units=-5), "spot_daily_cap_units"),
        (TokenomicsChange(), "sets no value"),
    ],
)
def test_changes_out_of_bounds_are_rejected(change: TokenomicsChange, message: str) -> None:
    with pytest.raises(TokenomicsChangeRejected, match=message) as caught:
        apply_tokenomics_change(DEFAULT, change)
    assert caught.value.problems == tokenomics_change_problems(change)


def test_every_problem_is_reported_at_once() -> None:
    change = TokenomicsChange(thp_price_tetri=1, owner_node_split=Split(5000, 0, 0, 5000))
    problems = tokenomics_change_problems(change)
    assert len(problems) == 3  # price, charity, owner cap
    assert any("THP price" in p for p in problems)


@st.composite
def bounded_splits(draw: st.DrawFn, *, franchise: bool) -> Split:
    """Any split a TOKENOMICS_CHANGE may set."""
    charity = draw(st.integers(100, 500))
    owner = draw(st.integers(0, 4_800))
    # 10 000 - 500 - 4 800 - 4 000 = 700: the buyer floor always leaves room for this
    room = 10_000 - charity - owner - 4_000
    franchisee = draw(st.integers(0, min(2_400, room))) if franchise else 0
    return Split(owner, franchisee, charity, 10_000 - charity - owner - franchisee)


@given(bounded_splits(franchise=False), bounded_splits(franchise=True), st.integers(100, 5_000))
@FAST
def test_any_bounded_change_is_accepted(owner: Split, franchise: Split, price: int) -> None:
    change = TokenomicsChange(
        thp_price_tetri=price, owner_node_split=owner, franchise_node_split=franchise
    )
    assert tokenomics_change_problems(change) == []
    assert apply_tokenomics_change(DEFAULT, change).franchise_node_split == franchise


# --- properties of the split -----------------------------------------------------------


@st.composite
def any_valid_split(draw: st.DrawFn) -> Split:
    """Any four non-negative basis-point shares summing to 10 000 (not only bounded ones)."""
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=3, max_size=3)))
    owner, franchisee, charity = cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1]
    return Split(owner, franchisee, charity, 10_000 - cuts[2])


@given(st.integers(min_value=0, max_value=10**18), any_valid_split())
@FAST
def test_parts_sum_exactly_and_the_remainder_is_the_buyers(total: int, split: Split) -> None:
    parts = split_units(total, split)
    assert sum(parts.values()) == total
    assert all(type(v) is int and v >= 0 for v in parts.values())
    for party, bps in split.as_dict().items():
        fair_floor = total * bps // 10_000
        if party is Party.BUYER:
            remainder = parts[party] - fair_floor
            assert 0 <= remainder <= 3  # four fractional parts, each under one unit
            others = [p for p in Party if p is not Party.BUYER]
            expected = sum(total * split.as_dict()[p] % 10_000 for p in others)
            expected += total * bps % 10_000
            assert remainder * 10_000 == expected
        else:
            assert parts[party] == fair_floor


@given(
    st.integers(min_value=0, max_value=10**15),
    st.sampled_from(NodeType),
    any_valid_split(),
    st.integers(1, 100_000),
    st.integers(1, 100_000),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)
@FAST
def test_mint_is_all_int_and_consistent(
    amount: int,
    node: NodeType,
    split: Split,
    price: int,
    tetri_per_spot: int,
    cap: int,
    already: int,
) -> None:
    cfg = TokenomicsSettings(
        thp_price_tetri=price,
        owner_node_split=Split(split.owner_bps + split.franchisee_bps, 0, *_tail(split)),
        franchise_node_split=split,
        tetri_per_spot=tetri_per_spot,
        spot_daily_cap_units=cap,
    )
    mint = purchase_mint(amount, node, cfg, spot_already_today=already)
    values = [getattr(mint, name) for name in mint.__dataclass_fields__]
    assert all(type(v) is int for v in values)  # no float (or bool) anywhere
    assert mint.st_total == amount * 100 // price
    assert sum(mint.parts.values()) == mint.st_total
    assert mint.spot == min(amount * 100 // tetri_per_spot, max(0, cap - already))
    assert node is NodeType.FRANCHISE or mint.franchisee == 0


def _tail(split: Split) -> tuple[int, int]:
    return split.charity_bps, split.buyer_bps


def test_default_splits_are_within_their_own_bounds() -> None:
    change = TokenomicsChange(
        owner_node_split=DEFAULT_OWNER_NODE_SPLIT,
        franchise_node_split=DEFAULT_FRANCHISE_NODE_SPLIT,
        thp_price_tetri=500,
    )
    assert tokenomics_change_problems(change) == []
