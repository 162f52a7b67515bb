"""Slice services refuse in the domain's words (a kind and a code), with no HTTP involved."""

from __future__ import annotations

import uuid

import pytest

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Forbidden
from hotpot.domain.results import Slice
from hotpot.domain.sales import SaleLine
from hotpot.http.schemas import page_from
from hotpot.ledger import holders
from hotpot.sales import receipts, service
from hotpot.sales.schemas import SaleLineOut
from hotpot.wallets import service as wallets


def actor(role: AccessRole, *nodes: uuid.UUID) -> Actor:
    return Actor(role=role, id=uuid.uuid4(), node_ids=frozenset(nodes))


def test_who_holds_a_wallet() -> None:
    owner, customer = actor(AccessRole.OWNER), actor(AccessRole.CUSTOMER)
    assert wallets.holder_of(owner) == holders.OWNER
    assert wallets.holder_of(customer) == holders.account_holder(customer.id)
    with pytest.raises(Forbidden) as refused:
        wallets.holder_of(actor(AccessRole.TERMINAL))
    assert refused.value.code == "no_wallet"


@pytest.mark.parametrize("role", [r for r in AccessRole if r is not AccessRole.CUSTOMER])
def test_only_customers_send_thp_or_claim_receipts(role: AccessRole) -> None:
    for check in (wallets.sender_of, receipts.claimant):
        with pytest.raises(Forbidden) as refused:
            check(actor(role))
        assert refused.value.code == "forbidden"
    customer = actor(AccessRole.CUSTOMER)
    assert wallets.sender_of(customer) == receipts.claimant(customer) == customer.id


def test_a_terminal_sells_at_its_one_node_only() -> None:
    node = uuid.uuid4()
    assert service.terminal_node(actor(AccessRole.TERMINAL, node)) == node
    for who in (actor(AccessRole.TERMINAL), actor(AccessRole.CASHIER, node)):
        with pytest.raises(Forbidden):
            service.terminal_node(who)


def test_a_slice_becomes_a_page_of_response_models() -> None:
    lines = [SaleLine(uuid.uuid4(), quantity, 250) for quantity in (1, 3)]
    page = page_from(Slice(lines, has_more=True), SaleLineOut, limit=2, offset=4)
    assert [line.line_total_tetri for line in page.items] == [250, 750]
    assert page.next_offset == 6
    last = page_from(Slice(lines, has_more=False), SaleLineOut, limit=2, offset=4)
    assert last.next_offset is None
