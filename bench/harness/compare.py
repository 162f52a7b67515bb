"""Two result files side by side: each row's median in A and B, and B / A."""

from __future__ import annotations

import json
from pathlib import Path

from harness.report import fmt


def compare(a: str, b: str) -> str:
    first, second = (json.loads(Path(p).read_text()) for p in (a, b))
    rows_b = {row["name"]: row for row in second["rows"]}
    names = [row["name"] for row in first["rows"]]
    names += [name for name in rows_b if name not in names]
    rows_a = {row["name"]: row for row in first["rows"]}
    lines = [
        f"{label}: {path} ({doc['started']}, {doc['config']['mode']}, "
        f"commit {doc['machine']['commit']})"
        for label, path, doc in (("A", a, first), ("B", b, second))
    ]
    lines.append("")
    table = [("row", "A", "B", "B/A", "unit")]
    for name in names:
        left, right = rows_a.get(name), rows_b.get(name)
        unit = (left or right or {}).get("unit", "")
        va = left["median"] if left and left["values"] else None
        vb = right["median"] if right and right["values"] else None
        change = f"{vb / va:.2f}" if va and vb is not None else "-"
        table.append(
            (
                name,
                fmt(va, unit) if va is not None else "-",
                fmt(vb, unit) if vb is not None else "-",
                change,
                "ratio" if unit == "x" else unit,
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    for index, row in enumerate(table):
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "Absolute figures of two runs move with the machine's load; compare the ratio rows."
    )
    return "\n".join(lines)
