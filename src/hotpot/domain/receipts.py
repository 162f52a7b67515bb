"""Walk-in receipts: the activation code and the life of a receipt.

Activation code
- Alphabet: the 31 characters 2-9 and A-Z without I, L and O. Left out because they are
  read as each other on paper and screens: 0/O, 1/I/L. Lower case is accepted on input.
- Length: 12 characters by default (at least 8 allowed), printed in groups of four.
- Entropy: log2(31) ~ 4.95 bits a character, so 12 characters ~ 59.4 bits (8 ~ 39.6).
  Online guessing is bounded by the 5-failure lock (5 / 31**12 ~ 6e-18 per receipt);
  the slow hash the code is stored under is what protects it against offline guessing.
- Generation draws each character with an unbiased `randbelow(n)` supplied by the
  caller; production passes `secrets.randbelow`.

Receipt life (a pure state machine; time is an argument):
  ACTIVE --right code--> CLAIMED
  ACTIVE --5th wrong code--> LOCKED
  ACTIVE or LOCKED --expires_at reached--> EXPIRED (its custody share feeds the pool)
A claim attempt on a CLAIMED, LOCKED or EXPIRED receipt is refused without checking the
code and without counting a failure. A malformed code (wrong length or a character
outside the alphabet) is refused by `normalise_code` before any check: it cannot match,
so it is not counted either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MIN_CODE_LENGTH = 8
DEFAULT_CODE_LENGTH = 12
CODE_GROUP = 4  # printed as XXXX-XXXX-XXXX
_SEPARATORS = frozenset(" -\t")


def code_space(length: int = DEFAULT_CODE_LENGTH) -> int:
    """How many distinct codes of this length exist (31**12 > 2**59)."""
    space: int = len(CODE_ALPHABET) ** length  # int ** int is typed Any (negative powers)
    return space


class MalformedCode(ValueError):
    """The text cannot be an activation code; it is refused without a check."""


def generate_activation_code(
    randbelow: Callable[[int], int], length: int = DEFAULT_CODE_LENGTH
) -> str:
    """A fresh code; `randbelow(n)` must return a uniform int in [0, n) (secrets.randbelow)."""
    if length < MIN_CODE_LENGTH:
        raise ValueError(f"an activation code needs at least {MIN_CODE_LENGTH} characters")
    chars = []
    for _ in range(length):
        index = randbelow(len(CODE_ALPHABET))
        if not 0 <= index < len(CODE_ALPHABET):
            raise ValueError(f"random source returned {index}, outside [0, {len(CODE_ALPHABET)})")
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


def normalise_code(text: str, length: int = DEFAULT_CODE_LENGTH) -> str:
    """User input to canonical form: upper case, separators and spaces dropped.

    The result is what gets hashed and compared; raises MalformedCode otherwise.
    """
    cleaned = "".join(ch for ch in text.strip() if ch not in _SEPARATORS).upper()
    if len(cleaned) != length:
        raise MalformedCode(f"an activation code has {length} characters, got {len(cleaned)}")
    foreign = sorted({ch for ch in cleaned if ch not in CODE_ALPHABET})
    if foreign:
        raise MalformedCode(f"characters not used in activation codes: {''.join(foreign)}")
    return cleaned


def format_code_for_print(code: str) -> str:
    """'ABCDEFGHJKMN' -> 'ABCD-EFGH-JKMN' (normalise_code undoes it)."""
    return "-".join(code[i : i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


class ReceiptStatus(StrEnum):
    ACTIVE = "ACTIVE"
    CLAIMED = "CLAIMED"
    LOCKED = "LOCKED"
    EXPIRED = "EXPIRED"


# Receipts whose custody share is still held: they expire when their deadline passes.
LIVE_STATUSES = (ReceiptStatus.ACTIVE, ReceiptStatus.LOCKED)


@dataclass(frozen=True)
class ReceiptPolicy:
    max_failures: int = 5
    ttl: timedelta = timedelta(days=30)  # (config)

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if self.ttl <= timedelta(0):
            raise ValueError("ttl must be positive")


DEFAULT_RECEIPT_POLICY = ReceiptPolicy()


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return at


@dataclass(frozen=True)
class Receipt:
    """The stored state of a receipt that the rules need (the code hash stays outside)."""

    status: ReceiptStatus
    issued_at: datetime
    expires_at: datetime
    failed_attempts: int = 0
    claimed_at: datetime | None = None


def issue_receipt(issued_at: datetime, policy: ReceiptPolicy = DEFAULT_RECEIPT_POLICY) -> Receipt:
    at = _aware(issued_at)
    return Receipt(ReceiptStatus.ACTIVE, issued_at=at, expires_at=at + policy.ttl)


def status_at(receipt: Receipt, now: datetime) -> ReceiptStatus:
    """The status in force at `now`: an unclaimed receipt past its expiry is EXPIRED.

    Expiry is inclusive: at exactly `expires_at` the receipt can no longer be claimed.
    """
    if receipt.status in (ReceiptStatus.ACTIVE, ReceiptStatus.LOCKED) and (
        _aware(now) >= receipt.expires_at
    ):
        return ReceiptStatus.EXPIRED
    return receipt.status


def expire(receipt: Receipt, now: datetime) -> Receipt | None:
    """The EXPIRED receipt to store if it is due now, else None (for the expiry sweep)."""
    if receipt.status is not ReceiptStatus.EXPIRED and status_at(receipt, now) is (
        ReceiptStatus.EXPIRED
    ):
        return replace(receipt, status=ReceiptStatus.EXPIRED)
    return None


class ClaimOutcome(StrEnum):
    CLAIMED = "CLAIMED"  # the custody share moves to the customer
    WRONG_CODE = "WRONG_CODE"  # failure counted, attempts remain
    LOCKED_NOW = "LOCKED_NOW"  # this failure was the last one allowed
    ALREADY_CLAIMED = "ALREADY_CLAIMED"
    LOCKED = "LOCKED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class ClaimResult:
    outcome: ClaimOutcome
    receipt: Receipt  # the state to store (unchanged when nothing happened)
    attempts_left: int

    @property
    def succeeded(self) -> bool:
        return self.outcome is ClaimOutcome.CLAIMED


_REFUSED_WITHOUT_CHECK = {
    ReceiptStatus.CLAIMED: ClaimOutcome.ALREADY_CLAIMED,
    ReceiptStatus.LOCKED: ClaimOutcome.LOCKED,
    ReceiptStatus.EXPIRED: ClaimOutcome.EXPIRED,
}


def attempt_claim(
    receipt: Receipt,
    now: datetime,
    code_matches: Callable[[], bool],
    policy: ReceiptPolicy = DEFAULT_RECEIPT_POLICY,
) -> ClaimResult:
    """One claim attempt. `code_matches` (the slow-hash check) runs only for a live receipt.

    The caller stores `result.receipt` in the same transaction as any token movement, under
    a row lock, so two concurrent claims see each other's result.
    """
    current = status_at(receipt, now)
    if current is not ReceiptStatus.ACTIVE:
        stored = replace(receipt, status=current)
        return ClaimResult(_REFUSED_WITHOUT_CHECK[current], stored, attempts_left=0)
    if code_matches():
        claimed = replace(receipt, status=ReceiptStatus.CLAIMED, claimed_at=_aware(now))
        return ClaimResult(ClaimOutcome.CLAIMED, claimed, attempts_left=0)
    failures = receipt.failed_attempts + 1
    if failures >= policy.max_failures:
        locked = replace(receipt, status=ReceiptStatus.LOCKED, failed_attempts=failures)
        return ClaimResult(ClaimOutcome.LOCKED_NOW, locked, attempts_left=0)
    counted = replace(receipt, failed_attempts=failures)
    return ClaimResult(ClaimOutcome.WRONG_CODE, counted, policy.max_failures - failures)


@dataclass(frozen=True)
class ClaimedReceipt:
    """What a customer got from a claim: SPOT above the day cap was burned, not moved."""

    receipt_id: UUID
    status: ReceiptStatus
    thp_units: int
    spot_units: int
    spot_units_burned: int
    claimed_at: datetime


@dataclass(frozen=True)
class ExpirySweep:
    """What one expiry run did: receipts expired, THP moved to the pool, SPOT burned."""

    expired: int = 0
    thp_units_to_pool: int = 0
    spot_units_burned: int = 0

    def __add__(self, other: ExpirySweep) -> ExpirySweep:
        return ExpirySweep(
            self.expired + other.expired,
            self.thp_units_to_pool + other.thp_units_to_pool,
            self.spot_units_burned + other.spot_units_burned,
        )


@dataclass(frozen=True)
class PooledReceipt:
    """An EXPIRED receipt, unclaimed to the end: its THP went to the pool, its SPOT burned."""

    receipt_id: UUID
    sale_id: UUID
    node_id: UUID
    amount_tetri: int
    thp_units: int
    spot_units_burned: int
    issued_at: datetime
    expires_at: datetime
    expired_at: datetime
