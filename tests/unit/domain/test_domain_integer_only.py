"""Structural guard: the token/money rules contain no true division and no float literal.

Property tests check result types; this catches a `/` or `0.5` on a path they miss.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

RULE_MODULES = [
    "hotpot.domain.tokenomics",
    "hotpot.domain.stake",
    "hotpot.domain.caps",
    "hotpot.domain.distribution",
    "hotpot.domain.receipts",
    "hotpot.domain.governance",
    "hotpot.domain.wallets",
]


def offences(source: str) -> list[str]:
    return [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(source))
        if (isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, ast.Div))
        or (isinstance(node, ast.Constant) and isinstance(node.value, float))
        or (isinstance(node, ast.Name) and node.id == "float")
    ]


@pytest.mark.parametrize("name", RULE_MODULES)
def test_no_true_division_and_no_float(name: str) -> None:
    assert offences(inspect.getsource(importlib.import_module(name))) == []


def test_the_guard_sees_each_kind_of_offence() -> None:
    assert len(offences("x = a / b")) == 1
    assert len(offences("x /= 2")) == 1
    assert len(offences("x = 0.5")) == 1
    assert len(offences("x = float(y)")) == 1
    assert offences("x = a // b\nx //= 2\ny = 5") == []
