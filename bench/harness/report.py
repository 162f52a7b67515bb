"""Rows of figures: median and min-max of the rounds, the target, whether it is met."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results"


@dataclass
class Row:
    name: str
    unit: str  # "x" (a ratio), "/s", "ms", "MB", "s", "gas", "%"
    values: list[float]
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.values else float("nan")

    @property
    def met(self) -> bool | None:
        if self.target is None or not self.values:
            return None
        if self.higher_is_better:
            return self.median >= self.target
        return self.median <= self.target

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            median=self.median,
            min=min(self.values, default=None),
            max=max(self.values, default=None),
            met=self.met,
        )
        return out


def fmt(value: float, unit: str) -> str:
    if value != value:  # NaN: nothing measured
        return "-"
    if unit == "x":
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def target_text(row: Row) -> str:
    if row.target is None:
        return ""
    sign = ">=" if row.higher_is_better else "<="
    unit = "" if row.unit == "x" else f" {row.unit}"
    return f"{sign} {fmt(row.target, row.unit)}{unit}"


def table(rows: list[Row]) -> str:
    header = ("row", "median", "min-max", "unit", "target", "met", "note")
    lines = [header]
    for row in rows:
        spread = (
            f"{fmt(min(row.values), row.unit)}-{fmt(max(row.values), row.unit)}"
            if row.values
            else "-"
        )
        met = {True: "yes", False: "NO", None: ""}[row.met]
        unit = "ratio" if row.unit == "x" else row.unit
        lines.append(
            (row.name, fmt(row.median, row.unit), spread, unit, target_text(row), met, row.note)
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for index, line in enumerate(lines):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(line[:-1])]
        out.append("  ".join([*cells, line[-1]]).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "commit": commit,
    }


def save(rows: list[Row], config: dict[str, Any], started: float, meta: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started))
    path = RESULTS / f"{stamp}-{config['mode']}.json"
    document = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": meta,
        "config": config,
        "rows": [row.as_dict() for row in rows],
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def markdown(path: Path) -> str:
    """A result file's rows as the Markdown table docs/performance.md shows."""
    document = json.loads(path.read_text())
    out = [
        "| row | median | min-max | target | met | note |",
        "| --- | ---: | ---: | --- | --- | --- |",
    ]
    for raw in document["rows"]:
        row = Row(
            raw["name"],
            raw["unit"],
            raw["values"],
            raw["target"],
            raw["higher_is_better"],
            raw["note"],
        )
        unit = "" if row.unit == "x" else f" {row.unit}"
        spread = (
            f"{fmt(min(row.values), row.unit)}-{fmt(max(row.values), row.unit)}"
            if row.values
            else "-"
        )
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        note = row.note.replace("|", "/")
        out.append(
            f"| {row.name} | {fmt(row.median, row.unit)}{unit} | {spread} | "
            f"{target_text(row)} | {met} | {note} |"
        )
    return "\n".join(out)


def print_final(rows: list[Row], path: Path) -> None:
    """The whole table once more at the end, and where the result file is."""
    print()
    print(table(rows))
    print(f"\nresult: {path}", flush=True)


@dataclass
class Collector:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
        return row
