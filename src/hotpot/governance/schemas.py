"""Request and response bodies of the governance slice.

The schema carries every bound that does not depend on anything but the value itself
(THP price 1..50 GEL, buyer share >= 40 %, charity 1..5 %, owner <= 48 %, franchisee
<= 24 %), so a schema-valid body is never refused with 422 for a domain reason. The
voting period's bounds and default are settings (NETWORK_VOTING_*_HOURS): the model
holds only the widest ones, the service checks those in force, and the app's OpenAPI
document publishes them (`publish_voting_bounds`). What JSON Schema cannot say (a
split's shares summing to 10 000 bps) is checked by
`domain.tokenomics.apply_tokenomics_change` and refused with 409.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import ConfigDict, Field, model_validator

from hotpot.domain.governance import (
    GovernanceSettings,
    Outcome,
    ProposalKind,
    ProposalStatus,
    VoteChoice,
)
from hotpot.domain.periods import LONGEST_PERIOD
from hotpot.domain.tokenomics import (
    BPS_DENOMINATOR,
    MAX_CHARITY_BPS,
    MAX_FRANCHISEE_BPS,
    MAX_OWNER_BPS,
    MAX_THP_PRICE_TETRI,
    MIN_BUYER_BPS,
    MIN_CHARITY_BPS,
    MIN_THP_PRICE_TETRI,
)
from hotpot.menu.schemas import ItemIn
from hotpot.validation import FROM_JSON_STRING, Out, Strict, line, omittable, prose

_HOUR = 3600
# The widest voting period any setting may allow (the bounds in force are narrower).
LONGEST_VOTING_HOURS = int(LONGEST_PERIOD.total_seconds()) // _HOUR


class OwnerNodeSplitIn(Strict):
    """Shares on an OWNER node, in basis points; they must sum to 10 000."""

    owner_bps: int = Field(ge=0, le=MAX_OWNER_BPS)
    franchisee_bps: int = Field(
        default=0, ge=0, le=0, description="an owner-run node has no franchisee"
    )
    charity_bps: int = Field(ge=MIN_CHARITY_BPS, le=MAX_CHARITY_BPS)
    buyer_bps: int = Field(ge=MIN_BUYER_BPS, le=BPS_DENOMINATOR)


class FranchiseNodeSplitIn(Strict):
    """Shares on a FRANCHISE node, in basis points; they must sum to 10 000."""

    owner_bps: int = Field(ge=0, le=MAX_OWNER_BPS)
    franchisee_bps: int = Field(ge=0, le=MAX_FRANCHISEE_BPS)
    charity_bps: int = Field(ge=MIN_CHARITY_BPS, le=MAX_CHARITY_BPS)
    buyer_bps: int = Field(ge=MIN_BUYER_BPS, le=BPS_DENOMINATOR)


class TokenomicsChangeIn(Strict):
    """New values of the purchase rule; an omitted value stays as it is."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    thp_price_tetri: int = omittable(
        ge=MIN_THP_PRICE_TETRI, le=MAX_THP_PRICE_TETRI, description="tetri per 1 THP"
    )
    owner_node_split: OwnerNodeSplitIn = omittable()
    franchise_node_split: FranchiseNodeSplitIn = omittable()
    tetri_per_spot: int = omittable(ge=1, le=100_000_000, description="tetri per 1 SPOT")
    spot_daily_cap_units: int = omittable(
        ge=1, le=100_000_000, description="SPOT units per customer per day"
    )

    @model_validator(mode="after")
    def _sets_something(self) -> TokenomicsChangeIn:
        if not self.model_fields_set:
            raise ValueError("a tokenomics change must set at least one value")
        return self


class _NetworkProposalBase(Strict):
    title: str = line(max_length=200)
    description: str = prose(max_length=5000, default="")
    # Omitted: NETWORK_VOTING_DEFAULT_HOURS (None here, so the service sees it omitted).
    voting_hours: int = omittable(
        ge=1,
        le=LONGEST_VOTING_HOURS,
        description="length of the vote, which opens at creation",
    )


def publish_voting_bounds(document: dict[str, Any], settings: GovernanceSettings) -> None:
    """Write the voting period's bounds and default in force into an OpenAPI document."""
    hours = {
        "minimum": settings.network_min_period,
        "maximum": settings.network_max_period,
        "default": settings.network_default_period,
    }
    for model in (PlainProposalIn, TokenomicsProposalIn):
        voting = document["components"]["schemas"][model.__name__]["properties"]["voting_hours"]
        voting.update({key: int(value.total_seconds()) // _HOUR for key, value in hours.items()})


class PlainProposalIn(_NetworkProposalBase):
    kind: Literal["GENERAL", "MENU", "TREASURY"]


class TokenomicsProposalIn(_NetworkProposalBase):
    kind: Literal["TOKENOMICS_CHANGE"]
    tokenomics: TokenomicsChangeIn


NetworkProposalIn = Annotated[PlainProposalIn | TokenomicsProposalIn, Field(discriminator="kind")]


class DishProposalIn(ItemIn):
    """The proposed dish: it becomes a menu item in PROPOSED until the vote decides."""


class VoteIn(Strict):
    choice: Annotated[VoteChoice, FROM_JSON_STRING]


class SplitOut(Out):
    owner_bps: int
    franchisee_bps: int
    charity_bps: int
    buyer_bps: int


class TokenomicsChangeOut(Out):
    thp_price_tetri: int | None = None
    owner_node_split: SplitOut | None = None
    franchise_node_split: SplitOut | None = None
    tetri_per_spot: int | None = None
    spot_daily_cap_units: int | None = None


class TallyOut(Out):
    for_units: int
    against_units: int
    abstain_units: int
    cast_units: int
    vote_count: int
    snapshot_supply_units: int
    quorum_reached: bool
    outcome: Outcome = Field(description="what the votes cast so far decide")


class ProposalOut(Out):
    id: UUID
    kind: ProposalKind
    status: ProposalStatus
    title: str
    description: str
    proposer_id: UUID
    menu_item_id: UUID | None
    tokenomics_change: TokenomicsChangeOut | None
    voting_hours: int
    opens_at: datetime | None
    closes_at: datetime | None
    executable_at: datetime | None = Field(description="closes_at + timelock (network only)")
    snapshot_at: datetime | None
    tally: TallyOut | None = Field(description="the live tally; null before voting opens")
    finalized_at: datetime | None
    votes_root: str | None = Field(description="Merkle root over the votes, once finalized")
    executed_at: datetime | None
    tokenomics_version: int | None = Field(
        description="the tokenomics version a TOKENOMICS_CHANGE adopted when executed"
    )
    created_at: datetime


class VoteOut(Out):
    proposal_id: UUID
    voter_id: UUID
    voter_address: str
    choice: VoteChoice
    weight_units: int
    created_at: datetime


class VoteProofOut(Out):
    proposal_id: UUID
    votes_root: str
    leaf: str = Field(description="keccak256(keccak256(record)), 0x-hex")
    record: str = Field(description="the canonical JSON record of the vote")
    proof: list[str]
