"""Request and response bodies of the sales slice."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from hotpot.domain.distribution import DistributionPeriod
from hotpot.domain.receipts import ReceiptStatus
from hotpot.validation import Id, Out, Strict, line

# What `domain.receipts.normalise_code` accepts: 12 characters of the code alphabet (either
# case), with spaces, tabs or hyphens anywhere between them. Anything else cannot match a
# code, so it is refused by the schema (422) and never counted as a failed attempt.
CODE_PATTERN = r"^[ \t-]*(?:[2-9A-HJKMNP-Za-hjkmnp-z][ \t-]*){12}$"


class SaleLineIn(Strict):
    item_id: Id
    quantity: int = Field(ge=1, le=100)


class SaleIn(Strict):
    terminal_sale_id: str = line(
        max_length=100,
        description="the terminal's own id of this sale; a retry with the same id and lines "
        "returns the same receipt",
    )
    lines: list[SaleLineIn] = Field(min_length=1, max_length=50)
    node_id: Id | None = Field(
        default=None,
        description="optional cross-check: the terminal's own node (a terminal sells only there)",
    )


class SaleLineOut(Out):
    item_id: UUID
    quantity: int
    unit_price_tetri: int
    line_total_tetri: int


class SaleOut(Out):
    sale_id: UUID
    terminal_sale_id: str
    node_id: UUID
    amount_tetri: int
    lines: list[SaleLineOut]
    receipt_id: UUID
    receipt_status: ReceiptStatus
    thp_units: int = Field(description="the buyer's THP share, held in custody")
    spot_units: int = Field(description="the buyer's SPOT, held in custody (capped at claim)")
    activation_code: str | None = Field(
        description="print it now: the server keeps only a hash. A retry of the same sale "
        "issues a fresh code (the earlier one stops working); null once the receipt is no "
        "longer ACTIVE"
    )
    expires_at: datetime
    claim_url: str
    created_at: datetime


class ClaimIn(Strict):
    code: str = Field(
        min_length=12, max_length=64, pattern=CODE_PATTERN, description="the activation code"
    )


class ClaimOut(Out):
    receipt_id: UUID
    status: ReceiptStatus
    thp_units: int = Field(description="THP units moved to the customer's wallet")
    spot_units: int = Field(description="SPOT units moved to the wallet (within the daily cap)")
    spot_units_burned: int = Field(description="SPOT above the daily cap, burned")
    claimed_at: datetime


class ReceiptPrintOut(Out):
    receipt_id: UUID
    sale_id: UUID
    terminal_sale_id: str
    node_id: UUID
    node_name: str
    node_city: str
    issued_at: datetime
    expires_at: datetime
    amount_tetri: int
    lines: list[SaleLineOut]
    thp_units: int
    spot_units: int
    status: ReceiptStatus
    claim_url: str


class ExpiryOut(Out):
    expired: int = Field(description="receipts moved to EXPIRED by this run")
    thp_units_to_pool: int
    spot_units_burned: int


class PoolOut(Out):
    pool_thp_units: int = Field(description="the unclaimed pool, paid at the next distribution")
    custody_thp_units: int = Field(description="THP held for receipts not yet claimed")
    custody_spot_units: int
    period: DistributionPeriod
    current_period: str


class DistributionOut(Out):
    id: UUID
    period: DistributionPeriod
    label: str
    pool_units: int
    holders_paid: int
    created_at: datetime


class NodeSaleOut(Out):
    sale_id: UUID
    terminal_id: UUID
    terminal_sale_id: str
    amount_tetri: int
    receipt_id: UUID
    receipt_status: ReceiptStatus = Field(description="whether a customer claimed its tokens")
    created_at: datetime


class NodeFiguresOut(Out):
    purchases: int = Field(
        description="every purchase that minted at the node: walk-in sales and completed app orders"
    )
    volume_tetri: int = Field(description="what those purchases came to, in tetri")
    franchisee_thp_units: int | None = Field(
        description="THP units the ledger credited the node's franchisee for them (their "
        "share by the purchase rule); null for a node without a franchisee"
    )


class PooledReceiptOut(Out):
    receipt_id: UUID
    sale_id: UUID
    node_id: UUID
    amount_tetri: int = Field(description="the walk-in sale's amount")
    thp_units: int = Field(description="the buyer's THP share, moved to the pool at expiry")
    spot_units_burned: int = Field(description="the buyer's SPOT, burned at expiry")
    issued_at: datetime
    expires_at: datetime
    expired_at: datetime = Field(description="when the expiry moved it to the pool")
