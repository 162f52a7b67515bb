"""Token amounts as people type them, read into integer units without floats."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotpot.domain.errors import Invalid
from hotpot.domain.wallets import units_from_text


@pytest.mark.parametrize(
    ("text", "units"),
    [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0,05", 5), (" 3.1 ", 310), ("0.01", 1)],
)
def test_amounts_read_as_units(text: str, units: int) -> None:
    assert units_from_text(text) == units


@pytest.mark.parametrize(
    "text", ["", "1.234", "-1", "1e3", "1.", ".5", "abc", "1 000", "0x10", "\uff11\uff12", "9" * 14]
)
def test_anything_else_is_refused_in_words(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        units_from_text(text)
    assert "at most two decimals" in refused.value.detail


@given(st.integers(min_value=0, max_value=10**15 - 1))
def test_every_unit_count_reads_back_from_its_two_decimal_text(units: int) -> None:
    whole, part = divmod(units, 100)
    assert units_from_text(f"{whole}.{part:02d}") == units
