"""Amounts as people type them: "12", "12.5", "12,50" -> hundredths, by string arithmetic.

Both GEL (tetri) and the tokens (units) have two decimals, so one parser serves the price
fields and the transfer form; more than two decimals is refused, never rounded."""

from __future__ import annotations

import re

HUNDREDTHS = 100
_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?")


def hundredths(text: str, max_whole_digits: int) -> int | None:
    """The amount in hundredths, or None when `text` is not one (or has too many digits)."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None or len(match.group(1)) > max_whole_digits:
        return None
    return int(match.group(1)) * HUNDREDTHS + int((match.group(2) or "").ljust(2, "0"))
