"""Every period of the rules in one value: the settings the running service reads at start.

domain.md marks these periods *(config)*: an operator may change them and a whole-system
test may shorten them, without touching the code. The defaults are domain.md's (taken from
the rules that use them, so each number is written once). `config.Settings.periods` builds
this value from the environment; the services read it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property

from hotpot.domain.distribution import DEFAULT_DISTRIBUTION_PERIOD, DistributionPeriod
from hotpot.domain.governance import DEFAULT_GOVERNANCE, GovernanceSettings
from hotpot.domain.receipts import DEFAULT_RECEIPT_POLICY, ReceiptPolicy
from hotpot.domain.tokenomics import SPOT_DAY

# Upper bounds: far past any real use, and well inside what a datetime can add.
LONGEST_RECEIPT_LIFETIME = timedelta(days=3_653)  # ten years
LONGEST_PERIOD = timedelta(days=366)  # every other period


class InvalidPeriods(ValueError):
    """Periods that cannot be used together; the message names each problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Periods:
    receipt_lifetime: timedelta = DEFAULT_RECEIPT_POLICY.ttl  # 30 days
    distribution_period: DistributionPeriod = DEFAULT_DISTRIBUTION_PERIOD  # yearly
    dish_voting: timedelta = DEFAULT_GOVERNANCE.dish_voting_period  # 7 days
    network_voting_min: timedelta = DEFAULT_GOVERNANCE.network_min_period  # 24 h
    network_voting_max: timedelta = DEFAULT_GOVERNANCE.network_max_period  # 168 h
    network_voting_default: timedelta = DEFAULT_GOVERNANCE.network_default_period  # 72 h
    timelock: timedelta = DEFAULT_GOVERNANCE.timelock  # 24 h
    spot_day: timedelta = SPOT_DAY  # the day the SPOT daily cap counts over

    def __post_init__(self) -> None:
        found = self.problems()
        if found:
            raise InvalidPeriods(found)

    def problems(self) -> list[str]:
        found: list[str] = []
        for name in ("receipt_lifetime", "dish_voting", "network_voting_min", "spot_day"):
            if getattr(self, name) <= timedelta(0):
                found.append(f"{name} must be positive, got {getattr(self, name)}")
        if self.timelock < timedelta(0):
            found.append(f"timelock must not be negative, got {self.timelock}")
        if self.receipt_lifetime > LONGEST_RECEIPT_LIFETIME:
            found.append(f"receipt_lifetime must be at most {LONGEST_RECEIPT_LIFETIME}")
        for name in ("dish_voting", "network_voting_max", "timelock", "spot_day"):
            if getattr(self, name) > LONGEST_PERIOD:
                found.append(f"{name} must be at most {LONGEST_PERIOD}")
        if not (self.network_voting_min <= self.network_voting_default <= self.network_voting_max):
            found.append(
                "network voting periods must satisfy min <= default <= max, got "
                f"{self.network_voting_min} / {self.network_voting_default} / "
                f"{self.network_voting_max}"
            )
        return found

    # The rules take these periods through their own settings values.
    @cached_property
    def receipt_policy(self) -> ReceiptPolicy:
        return replace(DEFAULT_RECEIPT_POLICY, ttl=self.receipt_lifetime)

    @cached_property
    def governance(self) -> GovernanceSettings:
        return replace(
            DEFAULT_GOVERNANCE,
            dish_voting_period=self.dish_voting,
            network_min_period=self.network_voting_min,
            network_max_period=self.network_voting_max,
            network_default_period=self.network_voting_default,
            timelock=self.timelock,
        )


DEFAULT_PERIODS = Periods()
