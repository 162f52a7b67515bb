"""A small parser for Logstash's pipeline config language, enough to check ours offline.

Logstash itself is not installable here, so this follows the grammar of its config
(logstash-core's treetop grammar): sections `input|filter|output { ... }`, plugins
`name { setting => value ... }`, values (string, number, bareword, array, hash) and
`if/else if/else` branches whose conditions may hold field references and /regex/.
It raises ValueError on anything outside that grammar (unbalanced braces, a missing `=>`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SECTIONS = ("input", "filter", "output")
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
  | (?P<op>=>|==|!=|=~|!~|<=|>=|[{}\[\](),<>!])
  | (?P<word>[A-Za-z0-9_@.\-:]+)
    """,
    re.VERBOSE,
)
_REGEX_LITERAL = re.compile(r"\s*/((?:\\.|[^/\\])*)/")


@dataclass
class Plugin:
    name: str
    settings: dict[str, Any]
    conditions: tuple[str, ...] = ()  # the enclosing if-conditions, outermost first


@dataclass
class Pipeline:
    sections: dict[str, list[Plugin]] = field(default_factory=dict)

    def plugins(self, section: str, name: str) -> list[Plugin]:
        return [p for p in self.sections.get(section, []) if p.name == name]


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if tokens and tokens[-1][1] in ("=~", "!~"):
            regex = _REGEX_LITERAL.match(text, pos)
            if regex:
                tokens.append(("regex", regex.group(1)))
                pos = regex.end()
                continue
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError(f"unexpected character {text[pos]!r} at offset {pos}")
        kind = match.lastgroup or ""
        if kind != "ws":
            value = match.group()
            tokens.append((kind, value[1:-1] if kind == "string" else value))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None, what: str = "more") -> tuple[str, str]:
        """Consume one token; `expected` is the exact text required, `what` is for errors."""
        if self.i >= len(self.tokens):
            raise ValueError(f"unexpected end of config, expected {expected or what}")
        token = self.tokens[self.i]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected!r}, got {token[1]!r} (token {self.i})")
        self.i += 1
        return token

    def pipeline(self) -> Pipeline:
        result = Pipeline()
        while self.peek() is not None:
            _, name = self.take()
            if name not in SECTIONS:
                raise ValueError(f"unknown section {name!r}")
            self.take("{")
            result.sections.setdefault(name, []).extend(self.block(()))
        return result

    def block(self, conditions: tuple[str, ...]) -> list[Plugin]:
        plugins: list[Plugin] = []
        while self.peek() != "}":
            if self.peek() == "if":
                plugins.extend(self.branches(conditions))
            else:
                plugins.append(self.plugin(conditions))
        self.take("}")
        return plugins

    def branches(self, conditions: tuple[str, ...]) -> list[Plugin]:
        plugins: list[Plugin] = []
        self.take("if")
        condition = self.condition()
        plugins.extend(self.block((*conditions, condition)))
        while self.peek() == "else":
            self.take("else")
            if self.peek() == "if":
                self.take("if")
                condition = self.condition()
            else:
                condition = "else"
            self.take("{")
            plugins.extend(self.block((*conditions, condition)))
        return plugins

    def condition(self) -> str:
        parts: list[str] = []
        while self.peek() != "{":
            kind, value = self.take(what="a condition")
            parts.append(f"/{value}/" if kind == "regex" else value)
        if not parts:
            raise ValueError("empty condition")
        self.take("{")
        return " ".join(parts)

    def plugin(self, conditions: tuple[str, ...]) -> Plugin:
        kind, name = self.take()
        if kind != "word":
            raise ValueError(f"expected a plugin name, got {name!r}")
        self.take("{")
        settings: dict[str, Any] = {}
        while self.peek() != "}":
            _, key = self.take()
            self.take("=>")
            settings[key] = self.value()
        self.take("}")
        return Plugin(name, settings, conditions)

    def value(self) -> Any:
        token = self.peek()
        if token == "[":
            self.take("[")
            items: list[Any] = []
            while self.peek() != "]":
                items.append(self.value())
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            return items
        if token == "{":
            self.take("{")
            mapping: dict[str, Any] = {}
            while self.peek() != "}":
                _, key = self.take()
                self.take("=>")
                mapping[key] = self.value()
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            return mapping
        kind, value = self.take(what="a value")
        if kind not in ("string", "word"):
            raise ValueError(f"expected a value, got {value!r}")
        return value


def parse(text: str) -> Pipeline:
    return _Parser(text).pipeline()
