"""Request and response bodies of the network slice (nodes, terminals, availability)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from hotpot.http.schemas import Out, Strict

NodeType = Literal["OWNER", "FRANCHISE"]


class NodeIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=100)
    type: NodeType
    owner_account_id: UUID | None = Field(
        default=None, description="the franchisee who runs a FRANCHISE node"
    )


class NodePatch(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    city: str | None = Field(default=None, min_length=1, max_length=100)
    active: bool | None = None
    owner_account_id: UUID | None = None


class NodeOut(Out):
    id: UUID
    name: str
    city: str
    type: NodeType
    active: bool
    owner_account_id: UUID | None


class TerminalIn(Strict):
    name: str = Field(min_length=1, max_length=100)


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
