"""The GCRA rule: limits without window edges, and a backoff that hammering cannot stretch."""

from __future__ import annotations

import pytest

from hotpot.security.gcra import Bucket, Rate, decide, whole_seconds

MINUTE = 1_800_000_000.0  # a minute boundary (divisible by 60)


def _run(rate: Rate, times: list[float], bucket: Bucket | None = None) -> list[bool]:
    state = bucket or Bucket()
    admitted = []
    for now in times:
        decision = decide(state, now, rate)
        state = decision.bucket
        admitted.append(decision.allowed)
    return admitted


def test_twelve_attempts_across_a_minute_boundary_meet_the_limit_of_ten() -> None:
    times = [MINUTE - 1 + i * 0.2 for i in range(12)]  # 59 s .. 61.2 s, the minute turns
    assert _run(Rate(10, 60), times) == [True] * 10 + [False] * 2


def test_a_burst_of_130_orders_across_a_boundary_admits_120() -> None:
    times = [MINUTE - 0.05 + i * 0.001 for i in range(130)]  # 0.13 s, under one interval
    assert sum(_run(Rate(120, 60), times)) == 120


def test_after_the_burst_one_request_per_interval_is_admitted() -> None:
    rate = Rate(10, 60)  # one every 6 s once the burst is spent
    state = Bucket()
    for _ in range(10):
        state = decide(state, MINUTE, rate).bucket
    refused = decide(state, MINUTE + 5.9, rate)
    assert not refused.allowed and refused.retry_after == pytest.approx(0.1)
    assert whole_seconds(refused.retry_after) == 1
    assert decide(state, MINUTE + 6.0, rate).allowed
    # A quiet full period refills the whole burst.
    assert _run(rate, [MINUTE + 60 + i * 0.01 for i in range(11)], state) == [True] * 10 + [False]


def test_backoff_doubles_the_wait_each_time_the_full_bucket_is_hit() -> None:
    rate = Rate(10, 600, backoff=True)  # interval 60 s
    state = Bucket()
    for _ in range(10):
        state = decide(state, MINUTE, rate).bucket
    now = MINUTE
    waits = []
    for _ in range(5):
        refused = decide(state, now, rate)
        assert not refused.allowed
        waits.append(refused.retry_after)
        state = refused.bucket
        now += refused.retry_after
        admitted = decide(state, now, rate)
        assert admitted.allowed
        state = admitted.bucket
    # 2, 4, 8 intervals, then capped at the period.
    assert waits == pytest.approx([120.0, 240.0, 480.0, 600.0, 600.0])


def test_hammering_inside_a_backoff_wait_does_not_stretch_it() -> None:
    rate = Rate(10, 600, backoff=True)
    state = Bucket()
    for _ in range(10):
        state = decide(state, MINUTE, rate).bucket
    first = decide(state, MINUTE, rate)
    state = first.bucket
    for step in range(1, 60):  # a refused guess every second, up to a minute in
        again = decide(state, MINUTE + step, rate)
        assert not again.allowed and again.bucket == state
    assert decide(state, MINUTE + first.retry_after, rate).allowed


def test_strikes_are_forgiven_once_the_bucket_drains() -> None:
    rate = Rate(10, 600, backoff=True)
    state = Bucket()
    for _ in range(11):
        state = decide(state, MINUTE, rate).bucket
    assert state.strikes == 1
    drained = decide(state, state.tat + 1, rate)
    assert drained.allowed and drained.bucket.strikes == 0


def test_a_rate_needs_a_limit_and_a_period() -> None:
    with pytest.raises(ValueError):
        Rate(0, 60)
    with pytest.raises(ValueError):
        Rate(10, 0)
