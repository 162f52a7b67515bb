"""One parser of typed amounts for the price fields and the transfer form."""

from __future__ import annotations

import pytest

from hotpot.domain.amounts import hundredths
from hotpot.domain.errors import Invalid
from hotpot.web.common import tetri


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 1200), ("12.5", 1250), ("12,50", 1250), (" 0.05 ", 5), ("9999999.99", 999999999)],
)
def test_hundredths_by_string_arithmetic(text: str, expected: int) -> None:
    assert hundredths(text, 7) == expected


@pytest.mark.parametrize("text", ["", "1.234", "-1", "1e3", "12.", "²", "١٢", "10000000"])
def test_not_an_amount(text: str) -> None:
    assert hundredths(text, 7) is None


def test_a_price_field_with_other_digits_is_refused_in_words() -> None:
    # str.isdigit() accepts "²" and int() then fails: the form must answer 422, not 500.
    with pytest.raises(Invalid, match="price: an amount in GEL"):
        tetri("²")
