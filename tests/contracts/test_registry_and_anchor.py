"""Settlement registry and governance anchor: recording once, minting atomically, roles."""

from __future__ import annotations

import boa

from .deployment import MINTER_ROLE, System

MISSING_ROLE = "access_control: account is missing role"
CID = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def batch_id(n: int) -> bytes:
    return n.to_bytes(32, "big")


def root(n: int) -> bytes:
    return (n + 0xABC).to_bytes(32, "big")


def holders(n: int) -> list[str]:
    return [str(boa.env.generate_address(f"holder{i}")) for i in range(n)]


def settle(system: System, n: int, thp: list[tuple[str, int]], spot: list[tuple[str, int]]) -> bool:
    result: bool = system.registry.settle(
        batch_id(n),
        root(n),
        CID,
        [a for a, _ in thp],
        [v for _, v in thp],
        [a for a, _ in spot],
        [v for _, v in spot],
        sender=system.relay,
    )
    return result


def test_settle_records_the_batch_and_mints_both_tokens(system: System) -> None:
    a, b = holders(2)
    assert not system.registry.is_settled(batch_id(1))

    assert settle(system, 1, [(a, 196), (b, 20)], [(a, 10)]) is True

    logs = system.registry.get_logs()
    assert system.thp.balanceOf(a) == 196
    assert system.thp.balanceOf(b) == 20
    assert system.spot.balanceOf(a) == 10
    assert system.registry.is_settled(batch_id(1))
    record = system.registry.batches(batch_id(1))
    assert record.merkle_root == root(1)
    assert record.cid == CID
    assert record.block_number >= 1
    assert system.registry.batch_count() == 1
    settled = [log for log in logs if type(log).__name__ == "BatchSettled"]
    assert len(settled) == 1
    assert settled[0].thp_total == 216
    assert settled[0].spot_total == 10
    assert settled[0].thp_recipients == 2


def test_replayed_batch_mints_nothing_and_says_so(system: System) -> None:
    (a,) = holders(1)
    assert settle(system, 7, [(a, 100)], [(a, 10)]) is True

    # The relay's retry, even with different contents, is a no-op that logs the replay.
    result = system.registry.settle(
        batch_id(7), root(99), "bafyother", [a], [5_000], [a], [5_000], sender=system.relay
    )
    assert result is False
    logs = system.registry.get_logs()
    assert [type(log).__name__ for log in logs] == ["BatchReplayed"]
    assert logs[0].merkle_root == root(99)
    assert system.thp.balanceOf(a) == 100
    assert system.spot.balanceOf(a) == 10
    assert system.thp.totalSupply() == 100
    assert system.registry.batches(batch_id(7)).merkle_root == root(7)
    assert system.registry.batch_count() == 1


def test_only_settlement_role_settles(system: System) -> None:
    (a,) = holders(1)
    for outsider in (system.admin, system.compliance, a):
        with boa.reverts(MISSING_ROLE):
            system.registry.settle(batch_id(1), root(1), CID, [a], [1], [], [], sender=outsider)
    assert not system.registry.is_settled(batch_id(1))
    assert system.thp.totalSupply() == 0


def test_malformed_batch_reverts_and_records_nothing(system: System) -> None:
    (a,) = holders(1)
    cases = [
        ("registry: empty merkle root", (batch_id(1), b"\0" * 32, CID, [a], [1], [], [])),
        ("registry: empty cid", (batch_id(1), root(1), "", [a], [1], [], [])),
        ("registry: thp length mismatch", (batch_id(1), root(1), CID, [a], [1, 2], [], [])),
        ("registry: spot length mismatch", (batch_id(1), root(1), CID, [], [], [a], [])),
    ]
    for message, args in cases:
        with boa.reverts(message):
            system.registry.settle(*args, sender=system.relay)
    assert not system.registry.is_settled(batch_id(1))
    assert system.registry.batch_count() == 0


def test_failed_mint_leaves_the_batch_unsettled(system: System) -> None:
    # A mint that fails (here THP paused) reverts the whole settlement, so the relay can
    # retry the same batch id later and it still mints exactly once.
    (a,) = holders(1)
    system.thp.pause(sender=system.admin)
    with boa.reverts():
        settle(system, 3, [(a, 100)], [(a, 10)])
    assert not system.registry.is_settled(batch_id(3))
    assert system.spot.balanceOf(a) == 0

    system.thp.unpause(sender=system.admin)
    assert settle(system, 3, [(a, 100)], [(a, 10)]) is True
    assert system.thp.balanceOf(a) == 100
    assert system.spot.balanceOf(a) == 10


def test_registry_without_minter_role_cannot_settle(system: System) -> None:
    (a,) = holders(1)
    system.spot.revokeRole(MINTER_ROLE, system.registry.address, sender=system.admin)
    with boa.reverts():
        settle(system, 4, [(a, 100)], [(a, 10)])
    assert not system.registry.is_settled(batch_id(4))
    assert system.thp.balanceOf(a) == 0


def test_empty_token_lists_still_record_the_root(system: System) -> None:
    # A batch of receipts that earned nothing is still anchored.
    assert settle(system, 5, [], []) is True
    assert system.registry.is_settled(batch_id(5))
    assert system.thp.totalSupply() == 0


def test_anchor_records_a_tally_once(system: System) -> None:
    proposal = batch_id(42)
    votes_root = root(42)
    assert not system.anchor.is_anchored(proposal)
    first = system.anchor.anchor(
        proposal, 7_000, 2_000, 1_000, True, votes_root, sender=system.relay
    )
    assert first is True
    tally = system.anchor.tallies(proposal)
    assert (tally.for_weight, tally.against_weight, tally.abstain_weight) == (7_000, 2_000, 1_000)
    assert tally.passed is True
    assert tally.votes_root == votes_root
    assert system.anchor.is_anchored(proposal)

    second = system.anchor.anchor(proposal, 0, 9_000, 0, False, root(43), sender=system.relay)
    assert second is False
    assert [type(log).__name__ for log in system.anchor.get_logs()] == ["AnchorReplayed"]
    tally = system.anchor.tallies(proposal)
    assert (tally.for_weight, tally.passed, tally.votes_root) == (7_000, True, votes_root)
    assert system.anchor.anchor_count() == 1


def test_only_anchor_role_anchors(system: System) -> None:
    outsider = str(boa.env.generate_address("outsider"))
    for sender in (system.admin, system.compliance, outsider):
        with boa.reverts(MISSING_ROLE):
            system.anchor.anchor(batch_id(1), 1, 0, 0, True, root(1), sender=sender)
    with boa.reverts("anchor: empty votes root"):
        system.anchor.anchor(batch_id(1), 1, 0, 0, True, b"\0" * 32, sender=system.relay)
    assert not system.anchor.is_anchored(batch_id(1))


def test_settle_burns_after_minting_in_the_same_transaction(system: System) -> None:
    a, b = holders(2)
    assert settle(system, 20, [(a, 500)], [(a, 50)]) is True
    # A claim or transfer of the ledger: burn from one address, mint to another.
    assert system.registry.settle(
        batch_id(21),
        root(21),
        CID,
        [b],
        [120],
        [b],
        [5],
        [a],
        [120],
        [a],
        [5],
        sender=system.relay,
    )
    assert (system.thp.balanceOf(a), system.thp.balanceOf(b)) == (380, 120)
    assert (system.spot.balanceOf(a), system.spot.balanceOf(b)) == (45, 5)
    assert system.thp.totalSupply() == 500
    assert system.spot.totalSupply() == 50
    settled = [log for log in system.registry.get_logs() if type(log).__name__ == "BatchSettled"]
    assert (settled[-1].thp_burned, settled[-1].spot_burned) == (120, 5)


def test_a_burn_beyond_the_balance_reverts_the_whole_batch(system: System) -> None:
    a, b = holders(2)
    assert settle(system, 30, [(a, 100)], []) is True
    with boa.reverts():
        system.registry.settle(
            batch_id(31),
            root(31),
            CID,
            [b],
            [7],
            [],
            [],
            [a],
            [101],
            [],
            [],
            sender=system.relay,
        )
    assert not system.registry.is_settled(batch_id(31))
    assert system.thp.balanceOf(b) == 0
    assert system.thp.balanceOf(a) == 100


def test_burns_need_the_burner_role_on_the_token(system: System) -> None:
    a = holders(1)[0]
    assert settle(system, 40, [(a, 100)], []) is True
    with boa.reverts(MISSING_ROLE):
        system.thp.burn_batch([a], [1], sender=system.admin)
    with boa.reverts(MISSING_ROLE):
        system.spot.burn_batch([a], [1], sender=system.relay)
    assert system.thp.balanceOf(a) == 100
