"""Every request model is strict, and strict never refuses what JSON carries as a string."""

from __future__ import annotations

import importlib
import pkgutil
import typing
import uuid
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import hotpot
from hotpot.validation import Strict


def _request_models() -> list[type[Strict]]:
    for module in pkgutil.iter_modules(hotpot.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"hotpot.{module.name}.schemas")
            except ModuleNotFoundError:
                continue
    found: list[type[Strict]] = []
    todo = list(Strict.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return sorted(found, key=lambda m: f"{m.__module__}.{m.__qualname__}")


MODELS = _request_models()


def _json_form(annotation: Any) -> Any:
    """How JSON carries a value of this type when only a string can carry it, else None."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _json_form(typing.get_args(annotation)[0])
    if origin is list:
        inner = _json_form(typing.get_args(annotation)[0])
        return None if inner is None else [inner]
    if origin is typing.Union or origin is getattr(__import__("types"), "UnionType", None):
        for option in typing.get_args(annotation):
            value = _json_form(option)
            if value is not None:
                return value
        return None
    if annotation is uuid.UUID:
        return str(uuid.uuid4())
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation)).value
    return None


def test_every_slice_has_its_request_models_here() -> None:
    names = {model.__name__ for model in MODELS}
    assert {"ItemPatch", "NodePatch", "OrderIn", "SaleIn", "VoteIn", "TransferIn"} <= names


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_request_model_is_strict_and_takes_json_strings(model: type[BaseModel]) -> None:
    assert model.model_config.get("strict") is True
    assert model.model_config.get("extra") == "forbid"
    for name, field in model.model_fields.items():
        value = _json_form(field.annotation)
        if value is None:
            continue
        try:
            # As FastAPI validates a body: the decoded JSON, as Python values.
            model.model_validate({name: value}, from_attributes=True)
        except ValidationError as exc:
            refused = [e for e in exc.errors() if e["loc"][:1] == (name,)]
            assert not refused, f"{model.__name__}.{name} refuses its JSON form {value!r}"
