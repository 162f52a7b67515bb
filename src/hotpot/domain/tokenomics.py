"""The purchase rule: how a sale of A tetri becomes THP (ST) and SPOT (UT) units.

Pure integer arithmetic. Tokens have 2 decimals, so 1 token = 100 units; every amount
of money is an integer number of tetri. Nothing here accepts or produces a float.

Settings and their governance bounds live here too, because a passed TOKENOMICS_CHANGE
proposal changes exactly these values and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

BPS_DENOMINATOR = 10_000  # basis points in a whole
UNITS_PER_TOKEN = 100  # both tokens have 2 decimals

# Georgia keeps UTC+4 all year (no daylight saving since 2005), so the network's
# calendar day is a fixed offset: no tz database read, no I/O.
NETWORK_TIMEZONE = timezone(timedelta(hours=4), "Asia/Tbilisi")
# (config) The SPOT day the daily cap counts over: by default the network's calendar day.
SPOT_DAY = timedelta(days=1)
_NETWORK_EPOCH = datetime(1970, 1, 1, tzinfo=NETWORK_TIMEZONE)  # a Tbilisi midnight


class NodeType(StrEnum):
    OWNER = "OWNER"
    FRANCHISE = "FRANCHISE"


class Party(StrEnum):
    OWNER = "owner"
    FRANCHISEE = "franchisee"
    CHARITY = "charity"
    BUYER = "buyer"


class InvalidSettings(ValueError):
    """Tokenomics settings that can never be used (bad sum, negative value, ...)."""


class TokenomicsChangeRejected(ValueError):
    """A proposed TOKENOMICS_CHANGE falls outside the governance bounds."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("tokenomics change rejected: " + "; ".join(problems))


def require_int(name: str, value: object) -> int:
    """Refuse floats (and bools, which are ints to Python) at the door of the money path."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def require_non_negative(name: str, value: object) -> int:
    number = require_int(name, value)
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number}")
    return number


@dataclass(frozen=True)
class Split:
    """How the ST units of one sale are shared, in basis points (sum 10 000)."""

    owner_bps: int
    franchisee_bps: int
    charity_bps: int
    buyer_bps: int

    def problems(self) -> list[str]:
        found: list[str] = []
        for name, value in self.as_dict().items():
            if isinstance(value, bool) or not isinstance(value, int):
                found.append(f"{name} share must be an int")
            elif value < 0:
                found.append(f"{name} share must not be negative ({value} bps)")
        if not found and sum(self.as_dict().values()) != BPS_DENOMINATOR:
            found.append(
                f"shares must sum to {BPS_DENOMINATOR} bps, got {sum(self.as_dict().values())}"
            )
        return found

    def as_dict(self) -> dict[Party, int]:
        return {
            Party.OWNER: self.owner_bps,
            Party.FRANCHISEE: self.franchisee_bps,
            Party.CHARITY: self.charity_bps,
            Party.BUYER: self.buyer_bps,
        }


DEFAULT_OWNER_NODE_SPLIT = Split(owner_bps=4800, franchisee_bps=0, charity_bps=300, buyer_bps=4900)
DEFAULT_FRANCHISE_NODE_SPLIT = Split(
    owner_bps=2500, franchisee_bps=2400, charity_bps=300, buyer_bps=4800
)


@dataclass(frozen=True)
class TokenomicsSettings:
    """Every number of the purchase rule; the defaults are those of domain.md."""

    thp_price_tetri: int = 500  # 5.00 GEL buys 1 THP = 100 units
    owner_node_split: Split = field(default=DEFAULT_OWNER_NODE_SPLIT)
    franchise_node_split: Split = field(default=DEFAULT_FRANCHISE_NODE_SPLIT)
    tetri_per_spot: int = 1_000  # 10.00 GEL earns 1 SPOT = 100 units
    spot_daily_cap_units: int = 1_000  # 10 SPOT per customer per calendar day

    def __post_init__(self) -> None:
        found = self.problems()
        if found:
            raise InvalidSettings("; ".join(found))

    def problems(self) -> list[str]:
        found: list[str] = []
        for name in ("thp_price_tetri", "tetri_per_spot"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                found.append(f"{name} must be a positive int, got {value!r}")
        cap = self.spot_daily_cap_units
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            found.append(f"spot_daily_cap_units must be a non-negative int, got {cap!r}")
        found += [f"OWNER node: {p}" for p in self.owner_node_split.problems()]
        found += [f"FRANCHISE node: {p}" for p in self.franchise_node_split.problems()]
        if self.owner_node_split.franchisee_bps != 0:
            found.append("OWNER node: an owner-run node has no franchisee share")
        return found

    def split_for(self, node_type: NodeType) -> Split:
        if node_type is NodeType.OWNER:
            return self.owner_node_split
        if node_type is NodeType.FRANCHISE:
            return self.franchise_node_split
        raise ValueError(f"unknown node type {node_type!r}")


@dataclass(frozen=True)
class Mint:
    """What one sale mints, in token units. owner + franchisee + charity + buyer == st_total."""

    st_total: int
    owner: int
    franchisee: int
    charity: int
    buyer: int
    spot: int  # SPOT units to the buyer, after the daily cap
    spot_before_cap: int  # what the amount alone would have earned

    @property
    def parts(self) -> dict[Party, int]:
        return {
            Party.OWNER: self.owner,
            Party.FRANCHISEE: self.franchisee,
            Party.CHARITY: self.charity,
            Party.BUYER: self.buyer,
        }


def st_units_for(amount_tetri: int, settings: TokenomicsSettings) -> int:
    """floor(A * 100 / price): at the default 500 tetri this is floor(A * 20 / 100)."""
    amount = require_non_negative("amount_tetri", amount_tetri)
    return amount * UNITS_PER_TOKEN // settings.thp_price_tetri


def split_units(total: int, split: Split) -> dict[Party, int]:
    """Each non-buyer party gets the floor of its share; the buyer gets what is left.

    The buyer's part is therefore floor(total * buyer_bps / 10 000) plus the rounding
    remainder of all parties, and the parts sum to the total exactly.
    """
    require_non_negative("total", total)
    owner = total * split.owner_bps // BPS_DENOMINATOR
    franchisee = total * split.franchisee_bps // BPS_DENOMINATOR
    charity = total * split.charity_bps // BPS_DENOMINATOR
    return {
        Party.OWNER: owner,
        Party.FRANCHISEE: franchisee,
        Party.CHARITY: charity,
        Party.BUYER: total - owner - franchisee - charity,
    }


def spot_units_for(amount_tetri: int, settings: TokenomicsSettings) -> int:
    """floor(A * 100 / tetri_per_spot): at the default 1 000 tetri this is floor(A / 10)."""
    amount = require_non_negative("amount_tetri", amount_tetri)
    return amount * UNITS_PER_TOKEN // settings.tetri_per_spot


def cap_spot(earned: int, spot_already_today: int, settings: TokenomicsSettings) -> int:
    """What may still be minted today: never more than the rest of the day's cap."""
    require_non_negative("earned", earned)
    already = require_non_negative("spot_already_today", spot_already_today)
    room = max(0, settings.spot_daily_cap_units - already)
    return min(earned, room)


def purchase_mint(
    amount_tetri: int,
    node_type: NodeType,
    settings: TokenomicsSettings,
    spot_already_today: int,
) -> Mint:
    """The purchase rule: ST for every party, SPOT for the buyer (capped per day).

    `spot_already_today` is the SPOT (units) this buyer has already been minted in the
    current network calendar day (see `network_day`); pass 0 for an anonymous buyer whose
    SPOT is decided later.
    """
    total = st_units_for(amount_tetri, settings)
    parts = split_units(total, settings.split_for(node_type))
    earned = spot_units_for(amount_tetri, settings)
    return Mint(
        st_total=total,
        owner=parts[Party.OWNER],
        franchisee=parts[Party.FRANCHISEE],
        charity=parts[Party.CHARITY],
        buyer=parts[Party.BUYER],
        spot=cap_spot(earned, spot_already_today, settings),
        spot_before_cap=earned,
    )


def network_day(at: datetime) -> date:
    """The network's calendar day (Tbilisi time): the default SPOT day of the daily cap."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return at.astimezone(NETWORK_TIMEZONE).date()


def start_of_network_day(at: datetime, length: timedelta = SPOT_DAY) -> datetime:
    """Where the day cap's count starts for `at`: the opening of its SPOT day.

    SPOT days of `length` follow each other from a Tbilisi midnight, so the default day is
    the calendar day from midnight (Tbilisi time; a fixed offset, no daylight saving).
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    if length <= timedelta(0):
        raise ValueError(f"a SPOT day must be positive, got {length}")
    return _NETWORK_EPOCH + ((at - _NETWORK_EPOCH) // length) * length


# --- governance bounds for TOKENOMICS_CHANGE -------------------------------------------

MIN_THP_PRICE_TETRI = 100  # 1 GEL
MAX_THP_PRICE_TETRI = 5_000  # 50 GEL
MIN_BUYER_BPS = 4_000  # buyer share >= 40 %
MIN_CHARITY_BPS = 100  # charity share 1 %..5 %
MAX_CHARITY_BPS = 500
# The ownership caps (owner <= 48 %, franchisees <= 24 %) hold "by construction" only while
# no split gives them more than that, so a change may not raise those shares past the caps.
MAX_OWNER_BPS = 4_800
MAX_FRANCHISEE_BPS = 2_400


@dataclass(frozen=True)
class TokenomicsChange:
    """New values proposed by a TOKENOMICS_CHANGE; None keeps the current value."""

    thp_price_tetri: int | None = None
    owner_node_split: Split | None = None
    franchise_node_split: Split | None = None
    tetri_per_spot: int | None = None
    spot_daily_cap_units: int | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__dataclass_fields__)


def _split_bound_problems(label: str, split: Split) -> list[str]:
    found = [f"{label}: {p}" for p in split.problems()]
    if found:
        return found
    if split.buyer_bps < MIN_BUYER_BPS:
        found.append(f"{label}: buyer share {split.buyer_bps} bps is below {MIN_BUYER_BPS}")
    if not MIN_CHARITY_BPS <= split.charity_bps <= MAX_CHARITY_BPS:
        found.append(
            f"{label}: charity share {split.charity_bps} bps is outside "
            f"{MIN_CHARITY_BPS}..{MAX_CHARITY_BPS}"
        )
    if split.owner_bps > MAX_OWNER_BPS:
        found.append(f"{label}: owner share {split.owner_bps} bps exceeds the {MAX_OWNER_BPS} cap")
    if split.franchisee_bps > MAX_FRANCHISEE_BPS:
        found.append(
            f"{label}: franchisee share {split.franchisee_bps} bps exceeds the "
            f"{MAX_FRANCHISEE_BPS} cap"
        )
    return found


def tokenomics_change_problems(change: TokenomicsChange) -> list[str]:
    """Every reason the change is outside the bounds; empty when it may be proposed."""
    found: list[str] = []
    if change.is_empty():
        found.append("the change sets no value")
    price = change.thp_price_tetri
    if price is not None and (
        isinstance(price, bool)
        or not isinstance(price, int)
        or not MIN_THP_PRICE_TETRI <= price <= MAX_THP_PRICE_TETRI
    ):
        found.append(
            f"THP price {price!r} tetri is outside {MIN_THP_PRICE_TETRI}..{MAX_THP_PRICE_TETRI}"
        )
    if change.owner_node_split is not None:
        found += _split_bound_problems("OWNER node", change.owner_node_split)
        if change.owner_node_split.franchisee_bps != 0:
            found.append("OWNER node: an owner-run node has no franchisee share")
    if change.franchise_node_split is not None:
        found += _split_bound_problems("FRANCHISE node", change.franchise_node_split)
    for name in ("tetri_per_spot", "spot_daily_cap_units"):
        value = getattr(change, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            found.append(f"{name} must be a positive int, got {value!r}")
    return found


def apply_tokenomics_change(
    current: TokenomicsSettings, change: TokenomicsChange
) -> TokenomicsSettings:
    """The settings after a passed change; raises TokenomicsChangeRejected out of bounds."""
    found = tokenomics_change_problems(change)
    if found:
        raise TokenomicsChangeRejected(found)
    updates = {
        name: getattr(change, name)
        for name in change.__dataclass_fields__
        if getattr(change, name) is not None
    }
    return replace(current, **updates)


def settings_to_json(settings: TokenomicsSettings) -> dict[str, Any]:
    """The stored form of a tokenomics version (integers only, as every rule here)."""
    return asdict(settings)


def settings_from_json(data: dict[str, Any]) -> TokenomicsSettings:
    return TokenomicsSettings(
        thp_price_tetri=int(data["thp_price_tetri"]),
        owner_node_split=Split(**{k: int(v) for k, v in data["owner_node_split"].items()}),
        franchise_node_split=Split(**{k: int(v) for k, v in data["franchise_node_split"].items()}),
        tetri_per_spot=int(data["tetri_per_spot"]),
        spot_daily_cap_units=int(data["spot_daily_cap_units"]),
    )
