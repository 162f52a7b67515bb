"""Pydantic building blocks of every slice's request and response models (no HTTP here).

Request bodies refuse unknown fields (422); response models read domain values by attribute.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Text we store: no NUL or other control characters (PostgreSQL refuses NUL in text, and
# control characters in names only ever cause trouble downstream).
_LINE = r"^[^\x00-\x1f\x7f]*$"
_PROSE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def line(min_length: int = 1, max_length: int = 100, **extra: Any) -> Any:
    """A one-line text field."""
    return Field(min_length=min_length, max_length=max_length, pattern=_LINE, **extra)


def prose(max_length: int = 2000, **extra: Any) -> Any:
    """A free text field (newlines and tabs allowed)."""
    return Field(max_length=max_length, pattern=_PROSE, **extra)


class Strict(BaseModel):
    """Request bodies: an unknown field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)
