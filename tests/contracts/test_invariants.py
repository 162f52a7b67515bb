"""Hypothesis stateful tests of the token invariants, against the deployed contracts.

A model tracks what the balances must be; after every step the chain must agree with it,
and: each token's total supply equals the sum of its balances; SPOT never moves between
holders; only the settlement path (the registry, driven by the relay) mints; a replayed
batch id is refused.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import boa
import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .deployment import System

HOLDERS = 5
BATCH_IDS = 6  # few ids, so that replays happen often
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"

holder_index = st.integers(min_value=0, max_value=HOLDERS - 1)
amount = st.integers(min_value=0, max_value=10_000)
mints = st.lists(st.tuples(holder_index, amount), max_size=4)


class TokenMachine(RuleBasedStateMachine):
    system: System

    def __init__(self) -> None:
        super().__init__()
        # Every example starts from the freshly deployed contracts and leaves no trace.
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.holders = [str(boa.env.generate_address(f"h{i}")) for i in range(HOLDERS)]
        self.thp: dict[str, int] = defaultdict(int)
        self.spot: dict[str, int] = defaultdict(int)
        self.allowed: set[str] = set()
        self.settled: set[int] = set()
        self.paused = False

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    @initialize()
    def check_fresh(self) -> None:
        assert self.system.thp.totalSupply() == 0
        assert self.system.spot.totalSupply() == 0

    @rule(n=st.integers(0, BATCH_IDS - 1), thp=mints, spot=mints)
    def settle(self, n: int, thp: list[tuple[int, int]], spot: list[tuple[int, int]]) -> None:
        args = self._settle_args(n, thp, spot)
        if self.paused and thp and n not in self.settled:
            with boa.reverts("pausable: contract is paused"):
                self.system.registry.settle(*args, sender=self.system.relay)
            return
        result = self.system.registry.settle(*args, sender=self.system.relay)
        if n in self.settled:
            assert result is False, "a replayed batch must be refused"
            return
        assert result is True
        self.settled.add(n)
        for i, value in thp:
            self.thp[self.holders[i]] += value
        for i, value in spot:
            self.spot[self.holders[i]] += value

    @rule(n=st.integers(0, BATCH_IDS - 1), thp=mints, spot=mints, data=st.data())
    def settle_with_burns(
        self, n: int, thp: list[tuple[int, int]], spot: list[tuple[int, int]], data: st.DataObject
    ) -> None:
        """Mints then burns in one batch; a burn beyond a balance reverts the whole batch."""
        after: dict[str, dict[str, int]] = {"thp": dict(self.thp), "spot": dict(self.spot)}
        for name, minted in (("thp", thp), ("spot", spot)):
            for i, value in minted:
                holder = self.holders[i]
                after[name][holder] = after[name].get(holder, 0) + value
        burns: dict[str, list[tuple[int, int]]] = {}
        overdrawn = False
        for name in ("thp", "spot"):
            picked = data.draw(st.lists(holder_index, max_size=3, unique=True))
            burns[name] = []
            for i in picked:
                have = after[name].get(self.holders[i], 0)
                value = data.draw(st.integers(0, have + 2))
                overdrawn = overdrawn or value > have
                burns[name].append((i, value))
        args = (
            *self._settle_args(n, thp, spot),
            [self.holders[i] for i, _ in burns["thp"]],
            [v for _, v in burns["thp"]],
            [self.holders[i] for i, _ in burns["spot"]],
            [v for _, v in burns["spot"]],
        )
        if n in self.settled:
            assert self.system.registry.settle(*args, sender=self.system.relay) is False
            return
        touches_thp = bool(thp or burns["thp"])
        if overdrawn or (self.paused and touches_thp):
            with boa.reverts():
                self.system.registry.settle(*args, sender=self.system.relay)
            return
        assert self.system.registry.settle(*args, sender=self.system.relay) is True
        self.settled.add(n)
        for name, model in (("thp", self.thp), ("spot", self.spot)):
            for holder, value in after[name].items():
                model[holder] = value
            for i, value in burns[name]:
                model[self.holders[i]] -= value

    @rule(
        token=st.sampled_from(["thp", "spot"]),
        who=st.sampled_from(["admin", "relay", "compliance", "holder"]),
        i=holder_index,
        value=amount,
    )
    def burn_batch_without_role(self, token: str, who: str, i: int, value: int) -> None:
        sender = self.holders[i] if who == "holder" else getattr(self.system, who)
        contract: Any = getattr(self.system, token)
        with boa.reverts("access_control: account is missing role"):
            contract.burn_batch([self.holders[i]], [value], sender=sender)

    @rule(n=st.integers(0, BATCH_IDS - 1), thp=mints, who=st.sampled_from(["admin", "holder"]))
    def settle_without_role(self, n: int, thp: list[tuple[int, int]], who: str) -> None:
        sender = self.system.admin if who == "admin" else self.holders[0]
        with boa.reverts("access_control: account is missing role"):
            self.system.registry.settle(*self._settle_args(n, thp, thp), sender=sender)

    @rule(
        token=st.sampled_from(["thp", "spot"]),
        who=st.sampled_from(["admin", "relay", "compliance", "burner", "holder"]),
        i=holder_index,
        value=amount,
    )
    def mint_without_role(self, token: str, who: str, i: int, value: int) -> None:
        sender = self.holders[i] if who == "holder" else getattr(self.system, who)
        contract: Any = getattr(self.system, token)
        with boa.reverts("access_control: account is missing role"):
            contract.mint(self.holders[i], value, sender=sender)
        with boa.reverts("access_control: account is missing role"):
            contract.mint_batch([self.holders[i]], [value], sender=sender)

    @rule(i=holder_index, allowed=st.booleans())
    def set_allowed(self, i: int, allowed: bool) -> None:
        holder = self.holders[i]
        self.system.thp.set_allowed(holder, allowed, sender=self.system.compliance)
        if allowed:
            self.allowed.add(holder)
        else:
            self.allowed.discard(holder)

    @rule()
    def toggle_pause(self) -> None:
        if self.paused:
            self.system.thp.unpause(sender=self.system.admin)
        else:
            self.system.thp.pause(sender=self.system.admin)
        self.paused = not self.paused

    @rule(src=holder_index, dst=holder_index, data=st.data())
    def transfer_thp(self, src: int, dst: int, data: st.DataObject) -> None:
        sender, receiver = self.holders[src], self.holders[dst]
        value = data.draw(st.integers(0, self.thp[sender] + 10))
        ok = (
            not self.paused
            and sender in self.allowed
            and receiver in self.allowed
            and value <= self.thp[sender]
        )
        if not ok:
            with boa.reverts():
                self.system.thp.transfer(receiver, value, sender=sender)
            return
        assert self.system.thp.transfer(receiver, value, sender=sender)
        self.thp[sender] -= value
        self.thp[receiver] += value

    @rule(src=holder_index, dst=holder_index, value=amount)
    def spot_never_moves(self, src: int, dst: int, value: int) -> None:
        sender, receiver = self.holders[src], self.holders[dst]
        with boa.reverts("spot: soulbound"):
            self.system.spot.transfer(receiver, value, sender=sender)
        with boa.reverts("spot: soulbound"):
            self.system.spot.approve(receiver, value, sender=sender)
        with boa.reverts("spot: soulbound"):
            self.system.spot.transferFrom(sender, receiver, value, sender=receiver)

    @precondition(lambda self: any(self.spot.values()))
    @rule(data=st.data())
    def burn_spot(self, data: st.DataObject) -> None:
        holder = data.draw(st.sampled_from([h for h, v in self.spot.items() if v > 0]))
        value = data.draw(st.integers(1, self.spot[holder]))
        self.system.spot.burn(holder, value, sender=self.system.burner)
        self.spot[holder] -= value

    @invariant()
    def supply_equals_sum_of_balances(self) -> None:
        for name, model in (("thp", self.thp), ("spot", self.spot)):
            contract: Any = getattr(self.system, name)
            balances = [contract.balanceOf(h) for h in self.holders]
            assert balances == [model[h] for h in self.holders], name
            assert contract.totalSupply() == sum(balances), name

    @invariant()
    def each_batch_recorded_once(self) -> None:
        assert self.system.registry.batch_count() == len(self.settled)

    def _settle_args(
        self, n: int, thp: list[tuple[int, int]], spot: list[tuple[int, int]]
    ) -> tuple[Any, ...]:
        return (
            n.to_bytes(32, "big"),
            (n + 1).to_bytes(32, "big"),
            CID,
            [self.holders[i] for i, _ in thp],
            [v for _, v in thp],
            [self.holders[i] for i, _ in spot],
            [v for _, v in spot],
        )


def test_token_invariants(deployed: System) -> None:
    TokenMachine.system = deployed
    run_state_machine_as_test(
        TokenMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
