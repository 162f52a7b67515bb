"""Activation codes and the receipt state machine."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotpot.domain.receipts import (
    CODE_ALPHABET,
    DEFAULT_CODE_LENGTH,
    LIVE_STATUSES,
    ClaimOutcome,
    ExpirySweep,
    MalformedCode,
    Receipt,
    ReceiptPolicy,
    ReceiptStatus,
    attempt_claim,
    code_space,
    expire,
    format_code_for_print,
    generate_activation_code,
    issue_receipt,
    normalise_code,
    status_at,
)

T0 = datetime(2025, 5, 1, 10, 0, tzinfo=UTC)
FAST = settings(max_examples=200, deadline=None)


def right() -> bool:
    return True


def wrong() -> bool:
    return False


def never_called() -> bool:
    raise AssertionError("the code must not be checked for this receipt")


# --- activation codes ------------------------------------------------------------------


def test_alphabet_has_no_ambiguous_characters() -> None:
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 31
    assert not set(CODE_ALPHABET) & set("01ILO")
    assert "".join(sorted(CODE_ALPHABET)) == CODE_ALPHABET


def test_entropy_is_documented_correctly() -> None:
    assert DEFAULT_CODE_LENGTH == 12
    assert 2**59 < code_space() < 2**60  # 12 x log2(31) = 59.4 bits
    assert 2**39 < code_space(8) < 2**40


def test_generation_uses_the_given_source_and_the_real_one() -> None:
    seeded = random.Random(7)
    first = generate_activation_code(seeded.randrange)
    assert first == generate_activation_code(random.Random(7).randrange)
    codes = {generate_activation_code(secrets.randbelow) for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 12 and set(c) <= set(CODE_ALPHABET) for c in codes)


def test_every_character_is_reachable() -> None:
    indices = iter(range(len(CODE_ALPHABET)))
    code = generate_activation_code(lambda n: next(indices), length=len(CODE_ALPHABET))
    assert code == CODE_ALPHABET


def test_short_codes_and_bad_sources_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        generate_activation_code(secrets.randbelow, length=7)
    with pytest.raises(ValueError, match="outside"):
        generate_activation_code(lambda n: n)
    assert len(generate_activation_code(secrets.randbelow, length=8)) == 8


@pytest.mark.parametrize(
    "typed",
    ["ABCD-EFGH-JKMN", "abcd efgh jkmn", "  abcdefghjkmn\t", "AbCd-EfGh-JkMn"],
)
def test_normalisation_accepts_what_people_type(typed: str) -> None:
    assert normalise_code(typed) == "ABCDEFGHJKMN"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABCD-EFGH-JKM", "has 12 characters, got 11"),
        ("ABCD-EFGH-JKMNP", "got 13"),
        ("ABCD-EFGH-JK0N", "not used in activation codes: 0"),
        ("OBCD-EFGH-JKIL", "not used in activation codes: ILO"),
        ("ABCD_EFGH_JKMN", "got 14"),
        ("", "got 0"),
    ],
)
def test_malformed_codes_are_refused(typed: str, message: str) -> None:
    with pytest.raises(MalformedCode, match=message):
        normalise_code(typed)


@given(st.integers(8, 20), st.randoms(use_true_random=False))
@FAST
def test_print_format_round_trips(length: int, rnd: random.Random) -> None:
    code = generate_activation_code(rnd.randrange, length=length)
    printed = format_code_for_print(code)
    assert normalise_code(printed, length=length) == code
    assert normalise_code(printed.lower(), length=length) == code


# --- receipt life ----------------------------------------------------------------------


def test_issue_sets_the_30_day_expiry() -> None:
    receipt = issue_receipt(T0)
    assert receipt.status is ReceiptStatus.ACTIVE
    assert receipt.expires_at == T0 + timedelta(days=30)
    assert issue_receipt(T0, ReceiptPolicy(ttl=timedelta(days=3))).expires_at == T0 + timedelta(3)


def test_a_right_code_claims_once() -> None:
    result = attempt_claim(issue_receipt(T0), T0 + timedelta(days=1), right)
    assert result.outcome is ClaimOutcome.CLAIMED and result.succeeded
    assert result.receipt.status is ReceiptStatus.CLAIMED
    assert result.receipt.claimed_at == T0 + timedelta(days=1)
    again = attempt_claim(result.receipt, T0 + timedelta(days=2), never_called)
    assert again.outcome is ClaimOutcome.ALREADY_CLAIMED and not again.succeeded
    assert again.receipt == result.receipt


def test_five_wrong_codes_lock_the_receipt() -> None:
    receipt = issue_receipt(T0)
    left = []
    for _ in range(4):
        result = attempt_claim(receipt, T0, wrong)
        assert result.outcome is ClaimOutcome.WRONG_CODE
        left.append(result.attempts_left)
        receipt = result.receipt
    assert left == [4, 3, 2, 1]
    fifth = attempt_claim(receipt, T0, wrong)
    assert fifth.outcome is ClaimOutcome.LOCKED_NOW
    assert fifth.receipt.status is ReceiptStatus.LOCKED
    assert fifth.receipt.failed_attempts == 5
    # even the right code does not open a locked receipt, and it is not checked
    after = attempt_claim(fifth.receipt, T0, never_called)
    assert after.outcome is ClaimOutcome.LOCKED and after.receipt == fifth.receipt


def test_a_right_code_after_some_failures_still_claims() -> None:
    receipt = issue_receipt(T0)
    for _ in range(4):
        receipt = attempt_claim(receipt, T0, wrong).receipt
    assert attempt_claim(receipt, T0, right).outcome is ClaimOutcome.CLAIMED


def test_the_lock_threshold_is_configurable() -> None:
    policy = ReceiptPolicy(max_failures=1)
    assert attempt_claim(issue_receipt(T0), T0, wrong, policy).outcome is ClaimOutcome.LOCKED_NOW
    with pytest.raises(ValueError):
        ReceiptPolicy(max_failures=0)
    with pytest.raises(ValueError):
        ReceiptPolicy(ttl=timedelta(0))


def test_expiry_is_inclusive_and_refuses_without_checking() -> None:
    receipt = issue_receipt(T0)
    just_before = receipt.expires_at - timedelta(microseconds=1)
    assert attempt_claim(receipt, just_before, right).outcome is ClaimOutcome.CLAIMED
    at_expiry = attempt_claim(receipt, receipt.expires_at, never_called)
    assert at_expiry.outcome is ClaimOutcome.EXPIRED
    assert at_expiry.receipt.status is ReceiptStatus.EXPIRED
    assert at_expiry.receipt.failed_attempts == 0


def test_a_locked_receipt_expires_into_the_pool() -> None:
    locked = Receipt(ReceiptStatus.LOCKED, T0, T0 + timedelta(days=30), failed_attempts=5)
    assert status_at(locked, T0 + timedelta(days=29)) is ReceiptStatus.LOCKED
    assert status_at(locked, T0 + timedelta(days=30)) is ReceiptStatus.EXPIRED
    expired = expire(locked, T0 + timedelta(days=31))
    assert expired is not None and expired.status is ReceiptStatus.EXPIRED


def test_expire_sweep() -> None:
    receipt = issue_receipt(T0)
    assert expire(receipt, T0 + timedelta(days=29)) is None
    expired = expire(receipt, T0 + timedelta(days=30))
    assert expired is not None and expired.status is ReceiptStatus.EXPIRED
    assert expire(expired, T0 + timedelta(days=60)) is None  # nothing counted twice
    claimed = attempt_claim(receipt, T0, right).receipt
    assert expire(claimed, T0 + timedelta(days=60)) is None  # a claimed share stays claimed
    assert status_at(claimed, T0 + timedelta(days=60)) is ReceiptStatus.CLAIMED


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue_receipt(datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        attempt_claim(issue_receipt(T0), datetime(2025, 5, 2), right)


attempts = st.lists(
    st.tuples(st.booleans(), st.integers(0, 40 * 24 * 3600)), min_size=1, max_size=12
)


@given(attempts)
@FAST
def test_state_machine_invariants(sequence: list[tuple[bool, int]]) -> None:
    """Whatever the attempts, at most one claim succeeds, failures never exceed 5, and
    nothing changes once a receipt is claimed, locked or expired (except LOCKED->EXPIRED)."""
    receipt = issue_receipt(T0)
    claims = 0
    for matches, offset in sorted(sequence, key=lambda a: a[1]):
        before = receipt
        result = attempt_claim(receipt, T0 + timedelta(seconds=offset), right if matches else wrong)
        receipt = result.receipt
        claims += result.succeeded
        assert receipt.failed_attempts <= 5
        if receipt.status is ReceiptStatus.LOCKED:
            assert receipt.failed_attempts == 5
        if before.status in (ReceiptStatus.CLAIMED, ReceiptStatus.EXPIRED):
            assert receipt == before  # final states never change
        if before.status is ReceiptStatus.LOCKED:
            assert receipt.status in (ReceiptStatus.LOCKED, ReceiptStatus.EXPIRED)
            assert receipt.failed_attempts == before.failed_attempts
        if result.succeeded:
            assert offset < 30 * 24 * 3600
    assert claims <= 1


def test_expiry_sweeps_add_up_batch_by_batch() -> None:
    total = ExpirySweep()
    for batch in (ExpirySweep(2, 300, 40), ExpirySweep(0, 0, 0), ExpirySweep(1, 7, 5)):
        total += batch
    assert total == ExpirySweep(expired=3, thp_units_to_pool=307, spot_units_burned=45)


def test_only_active_and_locked_receipts_are_live() -> None:
    # What the sweep may expire: a claimed or an expired receipt never moves again.
    assert set(LIVE_STATUSES) == {ReceiptStatus.ACTIVE, ReceiptStatus.LOCKED}
    late = T0 + timedelta(days=31)
    for status in ReceiptStatus:
        receipt = Receipt(status, T0, T0 + timedelta(days=30))
        assert (expire(receipt, late) is not None) == (status in LIVE_STATUSES), status
