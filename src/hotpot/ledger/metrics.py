"""Business metrics of minting, recorded after the transaction that minted commits."""

from __future__ import annotations

from hotpot.domain.tokenomics import Mint
from hotpot.ops.metrics import SALES, SALES_AMOUNT, TOKENS_MINTED


def record_sale(node_id: str, channel: str, amount_tetri: int, mint: Mint) -> None:
    SALES.labels(node_id, channel).inc()
    SALES_AMOUNT.labels(node_id, channel).inc(amount_tetri)
    TOKENS_MINTED.labels("THP").inc(mint.st_total)
    TOKENS_MINTED.labels("SPOT").inc(mint.spot)
