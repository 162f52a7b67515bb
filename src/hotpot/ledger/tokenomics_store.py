"""The tokenomics settings in force: version 0 is domain.md's defaults; governance adds more."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.domain.tokenomics import Split, TokenomicsSettings
from hotpot.ledger.tables import tokenomics_versions


def settings_to_json(settings: TokenomicsSettings) -> dict[str, Any]:
    return asdict(settings)


def settings_from_json(data: dict[str, Any]) -> TokenomicsSettings:
    return TokenomicsSettings(
        thp_price_tetri=int(data["thp_price_tetri"]),
        owner_node_split=Split(**{k: int(v) for k, v in data["owner_node_split"].items()}),
        franchise_node_split=Split(**{k: int(v) for k, v in data["franchise_node_split"].items()}),
        tetri_per_spot=int(data["tetri_per_spot"]),
        spot_daily_cap_units=int(data["spot_daily_cap_units"]),
    )


async def current(conn: AsyncConnection) -> tuple[int, TokenomicsSettings]:
    row = (
        await conn.execute(
            select(tokenomics_versions.c.version, tokenomics_versions.c.settings)
            .order_by(tokenomics_versions.c.version.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return 0, TokenomicsSettings()
    return int(row.version), settings_from_json(dict(row.settings))


async def adopt(conn: AsyncConnection, settings: TokenomicsSettings, source: str) -> int:
    """Record new settings for every later sale; returns their version number."""
    version, _ = await current(conn)
    await conn.execute(
        insert(tokenomics_versions).values(
            version=version + 1, settings=settings_to_json(settings), source=source
        )
    )
    return version + 1
