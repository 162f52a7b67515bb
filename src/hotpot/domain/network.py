"""The restaurant network: nodes and their POS terminals, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Node:
    id: UUID
    name: str
    city: str
    type: str
    active: bool
    owner_account_id: UUID | None


@dataclass(frozen=True)
class Terminal:
    id: UUID
    node_id: UUID
    name: str
    whitelisted: bool
    created_at: datetime


@dataclass(frozen=True)
class NewTerminal(Terminal):
    """A terminal just created, with its secret: the only time the secret is shown."""

    secret: str
