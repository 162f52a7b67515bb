"""Request and response bodies of the network slice (nodes, terminals, availability)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from hotpot.validation import Id, Out, Strict, line, omittable

NodeType = Literal["OWNER", "FRANCHISE"]


class OwnerNodeIn(Strict):
    """A restaurant the network owner runs itself."""

    name: str = line()
    city: str = line()
    type: Literal["OWNER"]


class FranchiseNodeIn(Strict):
    name: str = line()
    city: str = line()
    type: Literal["FRANCHISE"]
    owner_account_id: Id | None = Field(
        default=None, description="the franchisee who runs this node"
    )


NodeIn = Annotated[OwnerNodeIn | FranchiseNodeIn, Field(discriminator="type")]


class NodePatch(Strict):
    """An omitted field keeps its value; only `owner_account_id` may be null (no franchisee)."""

    name: str = line(omittable=True)
    city: str = line(omittable=True)
    active: bool = omittable()
    owner_account_id: Id | None = omittable(description="null: the node has no franchisee")


class NodeOut(Out):
    id: UUID
    name: str
    city: str
    type: NodeType
    active: bool
    owner_account_id: UUID | None


class TerminalIn(Strict):
    name: str = line()


class TerminalPatch(Strict):
    whitelisted: bool


class TerminalOut(Out):
    id: UUID
    node_id: UUID
    name: str
    whitelisted: bool
    created_at: datetime


class TerminalCreated(TerminalOut):
    secret: str = Field(description="the terminal's credential; shown once, store it on the till")


class AvailabilityIn(Strict):
    portions: int = Field(ge=0, le=100_000)


class AvailabilityOut(Out):
    node_id: UUID
    item_id: UUID
    portions: int
