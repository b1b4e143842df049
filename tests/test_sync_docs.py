"""docs/sync.md names every table and column of the seed documents: filled, or not derivable with a reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import seed_schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "sync.md"
TARGETS = ("massu", "flightdeck", "codewalkers", "teamx")


def coverage(target: str) -> dict[str, tuple[str, str]]:
    """table -> (filled cell, not-derivable cell) of the target's coverage table."""
    text = DOC.read_text(encoding="utf-8").split("## Coverage: every seed table and column")[1]
    section = text.split(f"### {target}\n")[1].split("\n### ")[0].split("\n## ")[0]
    rows = [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    return {cells[0].strip(): (cells[1], cells[2]) for cells in rows[1:]}


@pytest.mark.skipif(not seed_schema.SEEDS.is_dir(), reason=f"no seed documents at {seed_schema.SEEDS}")
@pytest.mark.parametrize("target", TARGETS)
def test_every_seed_table_and_column_is_mapped_or_explained(target):
    documented = coverage(target)
    tables = seed_schema.tables(target)
    assert set(documented) == set(tables), target
    for name, table in tables.items():
        filled, missing = documented[name]
        if "(all):" in missing:
            assert not filled.strip(), (name, "a table cannot be both filled and not derivable")
            continue
        named = lambda cell: set(re.findall(r"[A-Za-z_]+", cell))  # noqa: E731
        reasons = {c for part in missing.split(";") if ":" in part for c in named(part.split(":")[0])}
        for column in table.columns:
            assert (column.name in named(filled)) != (column.name in reasons), (name, column.name)
