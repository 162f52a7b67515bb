"""A walk-in sale as the till sees it: its lines, its receipt, and the printed receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from hotpot.domain.receipts import ReceiptStatus
from hotpot.domain.results import Slice


@dataclass(frozen=True)
class SaleLine:
    item_id: UUID
    quantity: int
    unit_price_tetri: int

    @property
    def line_total_tetri(self) -> int:
        return self.quantity * self.unit_price_tetri


@dataclass(frozen=True)
class WalkInSale:
    """A recorded sale and its receipt; `activation_code` is shown once (None once the
    receipt is no longer ACTIVE, or when only its hash is left)."""

    sale_id: UUID
    terminal_sale_id: str
    node_id: UUID
    amount_tetri: int
    lines: list[SaleLine]
    receipt_id: UUID
    receipt_status: ReceiptStatus
    thp_units: int
    spot_units: int
    activation_code: str | None
    expires_at: datetime
    claim_url: str
    created_at: datetime


@dataclass(frozen=True)
class PrintedReceipt:
    receipt_id: UUID
    sale_id: UUID
    terminal_sale_id: str
    node_id: UUID
    node_name: str
    node_city: str
    issued_at: datetime
    expires_at: datetime
    amount_tetri: int
    lines: list[SaleLine]
    thp_units: int
    spot_units: int
    status: ReceiptStatus
    claim_url: str


@dataclass(frozen=True)
class NodeSale:
    """One walk-in sale as its node's franchisee reads it (no activation code, no lines)."""

    sale_id: UUID
    terminal_id: UUID
    terminal_sale_id: str
    amount_tetri: int
    receipt_id: UUID
    receipt_status: ReceiptStatus
    created_at: datetime


@dataclass(frozen=True)
class NodeFigures:
    """A node's running totals: every purchase that minted there (walk-in sales and
    completed app orders), and the THP the ledger credited its franchisee for them
    (None for a node without one: the network owner took that share)."""

    purchases: int
    volume_tetri: int
    franchisee_thp_units: int | None


@dataclass(frozen=True)
class NodeSales:
    """A page of a node's sales (newest first) and the node's running totals."""

    sales: Slice[NodeSale]
    figures: NodeFigures
