"""Sync under adverse conditions, for every target, from the recorded sessions: a sync killed
(SIGKILL) between batches or inside one resumes without duplicates; a locked target is
retried with backoff, and one locked for good fails cleanly; --dry-run writes nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import sync_support as s
from test_sync_end_to_end import LIB, TARGETS, make, replayed, sync_cli  # noqa: F401  (fixture)

# Runs one sync in a child process that SIGKILLs itself at a chosen point: no finally, no
# rollback by Python, exactly as a killed process dies. Batches of 10 rows make many batches.
KILLER = """
import os, signal, sys
sys.path.insert(0, {lib!r})
import hookledger.sync.base as base
from hookledger.sync.source import Ledger
base.BATCH_SIZE = 10
seen = {{"n": 0}}

def die_at(n):
    seen["n"] += 1
    if seen["n"] == n:
        os.kill(os.getpid(), signal.SIGKILL)

if {where!r} == "between_batches":   # the batch committed in the target, its cursor not yet saved
    real = Ledger.set_cursor
    Ledger.set_cursor = lambda self, *a: (die_at(2), real(self, *a))[1]
else:                                # half a batch written, not committed
    real = base.Writer._insert
    base.Writer._insert = lambda self, *a: (die_at(10), real(self, *a))[1]
from hookledger.faces.cli import cli
cli(["sync", "--to", {target!r}, "--target-db", {path!r}, "--project", {project!r}])
"""


def cursors(ledger: Path, target_db: Path) -> list[tuple]:
    conn = sqlite3.connect(str(ledger))
    try:
        return conn.execute("SELECT source_table, last_id FROM sync_cursors WHERE target_db = ? ORDER BY 1",
                            (os.path.realpath(target_db),)).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("where", ["between_batches", "inside_a_batch"])
@pytest.mark.parametrize("target", TARGETS)
def test_killed_sync_resumes_without_duplicates(replayed, tmp_path, target, where):
    project, ledger = replayed
    path = make(target, "seed", tmp_path / f"{target}.db")
    script = KILLER.format(lib=str(LIB), where=where, target=target, path=str(path), project=str(project))
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    partial = s.table_counts(path)
    s.check_constraints(path)
    sync_cli(target, path, project)  # resume
    reference = make(target, "seed", tmp_path / "reference.db")
    sync_cli(target, reference, project)
    assert sum(partial.values()) < sum(s.table_counts(reference).values())  # it really died half way
    assert s.table_counts(path) == s.table_counts(reference)
    s.check_constraints(path)
    assert "nothing new" in sync_cli(target, path, project).stdout


def hold_lock(path: Path, seconds: float) -> threading.Thread:
    """Another writer (the target's own system) holds the write lock for `seconds`."""
    holder = s.open_target(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE IF NOT EXISTS _their_work (x)")  # a real pending write

    def release() -> None:
        time.sleep(seconds)
        holder.execute("COMMIT")
        holder.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


@pytest.mark.parametrize("target", TARGETS)
def test_locked_target_is_retried_with_backoff(replayed, tmp_path, target):
    project, ledger = replayed
    path = make(target, "seed", tmp_path / f"{target}.db")
    thread = hold_lock(path, 0.5)
    started = time.monotonic()
    report = s.run(target, ledger, path, project)
    waited = time.monotonic() - started
    thread.join()
    assert waited >= 0.45  # it waited for the lock instead of failing
    assert report.written > 0 and cursors(ledger, path)
    s.check_constraints(path)


def test_target_locked_for_good_fails_cleanly(replayed, tmp_path):
    from hookledger.faces.cli import cli

    project, ledger = replayed
    path = make("massu", "seed", tmp_path / "memory.db")
    before = s.dump(path)
    thread = hold_lock(path, 1.0)
    result = CliRunner().invoke(cli, ["sync", "--to", "massu", "--target-db", str(path), "--project", str(project),
                                      "--wait", "0.2"])
    thread.join()
    assert result.exit_code != 0 and "is locked by another process" in result.output
    assert s.dump(path) == {**before, "_their_work": []} and cursors(ledger, path) == []


@pytest.mark.parametrize("variant", ["created", "seed", "populated"])
@pytest.mark.parametrize("target", TARGETS)
def test_dry_run_writes_nothing(replayed, tmp_path, target, variant):
    project, ledger = replayed
    path = make(target, variant, tmp_path / f"{target}.db")
    before = s.dump(path) if path.exists() else None
    out = sync_cli(target, path, project, "--dry-run").stdout
    assert out.startswith("Would write") and "inserted" in out
    assert (s.dump(path) if path.exists() else None) == before
    assert cursors(ledger, path) == []
