"""Sync at scale (issue 12), for every target, through the real CLI: duplicate detection is an
indexed lookup (every natural-key lookup the sync ran is a B-tree search in the target, and a
target that already holds the rows, written by other means, gets none twice and none altered);
a second sync adds nothing; an incremental sync runs as many statements on a ledger four times
as large as on a small one (what is new, not the ledger, sets its work).

Ledgers are grown from sessions the real hooks recorded (benchmarks/grow_ledger.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import sync_support as s

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
sys.path.insert(0, str(ROOT / "benchmarks"))
import grow_ledger  # noqa: E402

TARGETS = ("massu", "flightdeck", "codewalkers", "teamx")
FIND = re.compile(r"^SELECT \* FROM \[(?P<table>[^\]]+)\] WHERE .* LIMIT 1$", re.S)


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict[str, object]:
    """A template recorded by the real hooks, and a small and a 4x larger ledger grown from it."""
    base = tmp_path_factory.mktemp("grown")
    template = grow_ledger.template(base / "cache")
    out: dict[str, object] = {"template": template}
    for label, events in (("small", 1500), ("large", 6000)):
        project = base / label / "acme-app"
        project.mkdir(parents=True)
        grow_ledger.grow(str(project / ".claude-session.db"), events, template)
        out[label] = project
    return out


def sync_cli(target: str, target_db: Path, project: Path, trace: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER"))}
    env["PYTHONPATH"] = str(LIB)
    if trace is not None:
        env["HOOKLEDGER_TRACE_SQL"] = str(trace)
    proc = subprocess.run([sys.executable, "-m", "hookledger", "sync", "--to", target, "--target-db", str(target_db),
                           "--project", str(project)], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {"out": proc.stdout}


def inserted(out: str) -> int:
    return sum(int(n) for n in re.findall(r"(\d+) inserted", out))


def statements(trace: Path) -> list[str]:
    return [json.loads(line) for line in trace.read_text().splitlines() if line.strip()]


def working_copy(project: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    grow_ledger.copy_ledger(str(project / ".claude-session.db"), str(dest / ".claude-session.db"))
    return dest


@pytest.mark.parametrize("target", TARGETS)
def test_every_key_lookup_is_indexed_and_prepopulated_rows_are_found(grown, tmp_path, target):
    project = working_copy(grown["small"], tmp_path / "acme-app")
    first = s.make_target(tmp_path / "first.db", f"seed_{target}.sql")
    trace = tmp_path / "trace.sql"
    out = sync_cli(target, first, project, trace)["out"]
    assert inserted(out) > 100
    finds = [st for st in statements(trace) if FIND.match(st)]
    assert finds, "the sync looked no natural key up"
    conn = sqlite3.connect(first)
    scans = set()
    for st in finds:
        plan = " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + st))
        if "SCAN" in plan:
            scans.add((FIND.match(st)["table"], plan))
    conn.close()
    assert not scans, scans

    # The same rows, already in a target its own system wrote them into (no hookledger index
    # yet, and no cursor: a first sync for this file): none is written twice nor changed.
    again = tmp_path / "prepopulated.db"
    shutil.copyfile(first, again)
    conn = sqlite3.connect(again)
    ours = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'hookledger_key_%'")]
    # (none for a target whose every natural key is a primary key or a seed index: codewalkers, teamx)
    for name in ours:
        conn.execute(f'DROP INDEX "{name}"')
    conn.commit()
    conn.close()
    before = s.dump(again)
    out = sync_cli(target, again, project)["out"]
    assert inserted(out) == 0, out
    assert s.dump(again) == before
    s.check_constraints(again)
    # and a second sync into the first target adds nothing either
    assert "nothing new" in sync_cli(target, first, project)["out"]


@pytest.mark.parametrize("target", TARGETS)
def test_incremental_sync_works_in_proportion_to_what_is_new(grown, tmp_path, target):
    """The same new sessions added to a small and a 4x larger ledger: the incremental syncs
    write the same rows and run about as many statements (ledger and target together)."""
    counts, written, outs = {}, {}, {}
    for label in ("small", "large"):
        project = working_copy(grown[label], tmp_path / label / "acme-app")
        target_db = s.make_target(tmp_path / label / "target.db", f"seed_{target}.sql")
        sync_cli(target, target_db, project)
        grow_ledger.add_sessions(str(project / ".claude-session.db"), grown["template"], 3)
        trace = tmp_path / label / "trace.sql"
        out = sync_cli(target, target_db, project, trace)["out"]
        counts[label], written[label] = len(statements(trace)), inserted(out)
        outs[label] = out
        assert "nothing new" in sync_cli(target, target_db, project)["out"]
        s.check_constraints(target_db)
    # the same new sessions (Massu's observation key holds whole seconds, so a few of their
    # failures inside one second may merge differently: issue 17)
    assert written["small"] > 0 and abs(written["large"] - written["small"]) <= 0.05 * written["small"], outs
    assert counts["large"] <= counts["small"] * 1.1 + 20, counts
