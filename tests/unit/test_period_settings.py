"""Every period of the rules is a setting: read from the environment, checked at start."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotpot.config import ConfigError, load_settings
from hotpot.domain.distribution import DistributionPeriod
from hotpot.domain.periods import DEFAULT_PERIODS, Periods

PERIOD_VARIABLES = (
    "RECEIPT_LIFETIME_SECONDS",
    "DISTRIBUTION_PERIOD",
    "DISH_VOTING_SECONDS",
    "NETWORK_VOTING_MIN_HOURS",
    "NETWORK_VOTING_MAX_HOURS",
    "NETWORK_VOTING_DEFAULT_HOURS",
    "GOVERNANCE_TIMELOCK_SECONDS",
    "SPOT_DAY_SECONDS",
)


@pytest.fixture(autouse=True)
def _no_period_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PERIOD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_unset_periods_are_domain_mds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().periods == DEFAULT_PERIODS


def test_each_period_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "RECEIPT_LIFETIME_SECONDS": "86400",
        "DISTRIBUTION_PERIOD": "MONTHLY",
        "DISH_VOTING_SECONDS": "7200",
        "NETWORK_VOTING_MIN_HOURS": "48",
        "NETWORK_VOTING_MAX_HOURS": "96",
        "NETWORK_VOTING_DEFAULT_HOURS": "60",
        "GOVERNANCE_TIMELOCK_SECONDS": "600",
        "SPOT_DAY_SECONDS": "3600",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    assert load_settings().periods == Periods(
        receipt_lifetime=timedelta(days=1),
        distribution_period=DistributionPeriod.MONTHLY,
        dish_voting=timedelta(hours=2),
        network_voting_min=timedelta(hours=48),
        network_voting_max=timedelta(hours=96),
        network_voting_default=timedelta(hours=60),
        timelock=timedelta(minutes=10),
        spot_day=timedelta(hours=1),
    )


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"RECEIPT_LIFETIME_SECONDS": "0"}, "RECEIPT_LIFETIME_SECONDS"),
        ({"RECEIPT_LIFETIME_SECONDS": "30d"}, "RECEIPT_LIFETIME_SECONDS"),
        ({"DISTRIBUTION_PERIOD": "WEEKLY"}, "DISTRIBUTION_PERIOD"),
        ({"DISH_VOTING_SECONDS": "-5"}, "DISH_VOTING_SECONDS"),
        ({"GOVERNANCE_TIMELOCK_SECONDS": "-1"}, "GOVERNANCE_TIMELOCK_SECONDS"),
        ({"SPOT_DAY_SECONDS": "0"}, "SPOT_DAY_SECONDS"),
        ({"SPOT_DAY_SECONDS": str(400 * 86_400)}, "SPOT_DAY_SECONDS"),
        ({"NETWORK_VOTING_MIN_HOURS": "0"}, "NETWORK_VOTING_MIN_HOURS"),
        # Each bound alone is fine; together they are not.
        ({"NETWORK_VOTING_MIN_HOURS": "100"}, "NETWORK_VOTING_MIN_HOURS"),
        ({"NETWORK_VOTING_MAX_HOURS": "48"}, "NETWORK_VOTING_MAX_HOURS"),
        ({"NETWORK_VOTING_DEFAULT_HOURS": "200"}, "NETWORK_VOTING_DEFAULT_HOURS"),
    ],
)
def test_unusable_periods_stop_the_start(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_a_zero_timelock_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVERNANCE_TIMELOCK_SECONDS", "0")
    assert load_settings().periods.timelock == timedelta(0)


def test_a_copy_with_other_periods_reads_the_new_ones() -> None:
    settings = load_settings()
    shorter = settings.model_copy(update={"receipt_lifetime_seconds": 60})
    assert shorter.periods.receipt_lifetime == timedelta(minutes=1)
    assert settings.periods.receipt_lifetime == timedelta(days=30)
