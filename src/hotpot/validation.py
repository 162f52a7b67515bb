"""Pydantic building blocks of every slice's request and response models (no HTTP here).

Request bodies are strict: an unknown field, a value of the wrong JSON type (`true` or
`"0"` for a number, `0` for a boolean, `12` for a text) and a `null` where the schema does
not allow one are all refused (422 naming the field), so what the OpenAPI document says is
exactly what is accepted. Response models read domain values by attribute.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic import Strict as StrictMode

# Text we store: no NUL or other control characters (PostgreSQL refuses NUL in text, and
# control characters in names only ever cause trouble downstream).
_LINE = r"^[^\x00-\x1f\x7f]*$"
_PROSE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _without_default(schema: dict[str, Any]) -> None:
    # An omitted field keeps the current value; the document shows no default to send.
    schema.pop("default", None)


def _omittable(omittable: bool, extra: dict[str, Any]) -> dict[str, Any]:
    if omittable:
        return {"default": None, "json_schema_extra": _without_default, **extra}
    return extra


def line(min_length: int = 1, max_length: int = 100, omittable: bool = False, **extra: Any) -> Any:
    """A one-line text field (`omittable`: see `omittable()`)."""
    return Field(
        min_length=min_length,
        max_length=max_length,
        pattern=_LINE,
        **_omittable(omittable, extra),
    )


def prose(max_length: int = 2000, omittable: bool = False, **extra: Any) -> Any:
    """A free text field (newlines and tabs allowed)."""
    return Field(max_length=max_length, pattern=_PROSE, **_omittable(omittable, extra))


def omittable(**bounds: Any) -> Any:
    """A field a PATCH-like body may leave out, which then keeps its current value.

    An omitted field reads as None and is not in `model_fields_set` (services apply
    `model_dump(exclude_unset=True)`); an explicit `null` is refused by the field's type
    unless the type itself admits None (`X | None` means "null clears it").
    """
    return Field(**_omittable(True, bounds))


def _canonical_uuid(value: object) -> object:
    # Lax UUID parsing also takes hex without hyphens, braces and "urn:uuid:"; the
    # document's `format: uuid` is the 8-4-4-4-12 form only.
    if isinstance(value, str) and not _UUID.match(value):
        raise ValueError("a UUID is written in its 8-4-4-4-12 hexadecimal form")
    return value


# JSON carries UUIDs and enum values as strings, and FastAPI validates the decoded JSON as
# Python values, where a strict UUID or enum takes only an instance. A field marked
# `Annotated[SomeEnum, FROM_JSON_STRING]` (or typed `Id`) is parsed from its string; a
# number or a boolean is still refused.
FROM_JSON_STRING = StrictMode(False)
Id = Annotated[UUID, FROM_JSON_STRING, BeforeValidator(_canonical_uuid)]


def _whole_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


class Strict(BaseModel):
    """Request bodies: strict JSON types, and an unknown field is an error, not dropped.

    Every request model derives from this; a UUID field is typed `Id` and an enum field
    `Annotated[TheEnum, FROM_JSON_STRING]` (tests/unit/test_strict_models.py checks that
    none is missed).
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _json_numbers(cls, data: Any) -> Any:
        # JSON has one number type and JSON Schema's "integer" includes 427.0: a whole
        # number is an integer however it is written (1.5 is still refused).
        return _whole_numbers(data) if isinstance(data, dict) else data


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)
