"""`hookledger sync --wait`: a target another process holds write-locked for seconds is waited
for (a note on stderr naming the holder) and then synced; one held longer than the wait fails
with an error naming the holder's process, having written nothing and moved no cursor. And
without --project, the project the targets are told of is the ledger's, not the cwd's."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sync_support as s
from test_sync_end_to_end import LIB, replayed  # noqa: F401  (fixture)

# The target's own system: takes the write lock, says so, keeps it `seconds`, then commits.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS _their_work (x)")
conn.execute("INSERT INTO _their_work VALUES (1)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def hold(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "HOOKLEDGER"))}
    out["PYTHONPATH"] = str(LIB)
    return out


def sync(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookledger", "sync", *args], capture_output=True, text=True,
                          env=env(), cwd=cwd, timeout=120)


def cursors(ledger: Path) -> list[tuple]:
    conn = sqlite3.connect(str(ledger))
    try:
        return conn.execute("SELECT * FROM sync_cursors").fetchall() + \
            conn.execute("SELECT * FROM sync_state_digests").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("target", ["massu", "teamx"])
def test_a_target_locked_for_seconds_is_waited_for(replayed, tmp_path, target):
    project, ledger = replayed
    path = s.make_target(tmp_path / f"{target}.db", f"seed_{target}.sql")
    holder = hold(path, 3.0)
    started = time.monotonic()
    proc = sync("--to", target, "--target-db", str(path), "--project", str(project), "--wait", "20")
    waited = time.monotonic() - started
    assert holder.wait(timeout=30) == 0
    assert proc.returncode == 0, proc.stderr
    assert waited >= 2.5  # it waited for the holder rather than failing
    assert "is locked" in proc.stderr and f"pid {holder.pid}" in proc.stderr  # the note names the holder
    assert "inserted" in proc.stdout and "is locked" not in proc.stdout  # stdout: only the summary
    assert s.rows(path, "SELECT count(*) AS n FROM _their_work")[0]["n"] == 1
    s.check_constraints(path)


def test_a_target_locked_past_the_wait_fails_naming_the_holder_and_writes_nothing(replayed, tmp_path):
    project, ledger = replayed
    path = s.make_target(tmp_path / "flightdeck.db", "seed_flightdeck.sql")
    before = s.dump(path)
    had = cursors(ledger)
    holder = hold(path, 6.0)
    started = time.monotonic()
    proc = sync("--to", "flightdeck", "--target-db", str(path), "--project", str(project), "--wait", "1.5")
    waited = time.monotonic() - started
    assert proc.returncode != 0
    assert 1.4 <= waited < 5.5  # gave up after the wait, not after the holder let go
    assert "still locked after waiting" in proc.stderr and f"held by pid {holder.pid}" in proc.stderr, proc.stderr
    assert holder.wait(timeout=30) == 0
    assert s.dump(path) == {**before, "_their_work": [(1,)]}  # only the holder's own write
    assert cursors(ledger) == had


def test_project_identity_comes_from_the_ledger_not_the_cwd(replayed, tmp_path):
    """Run from another directory with only --db: flightdeck's project_id and Team-X's company
    are the ledger's project (acme-app), as with --project."""
    project, ledger = replayed
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    flightdeck, teamx = tmp_path / "fd.db", tmp_path / "tx.db"
    for target, path in (("flightdeck", flightdeck), ("teamx", teamx)):
        proc = sync("--to", target, "--target-db", str(path), "--db", str(ledger), cwd=elsewhere)
        assert proc.returncode == 0, proc.stderr
    assert project.name == "acme-app"
    assert {r["project_id"] for r in s.rows(flightdeck, "SELECT DISTINCT project_id FROM agent_roster")} == {"acme-app"}
    assert [r["name"] for r in s.rows(teamx, "SELECT name FROM companies")] == ["acme-app"]
    assert {r["workspace_path"] for r in s.rows(teamx, "SELECT DISTINCT workspace_path FROM runtime_sessions")} \
        == {str(project)}


def test_project_identity_falls_back_to_the_ledgers_directory(tmp_path):
    """A ledger whose sessions recorded no project directory: the directory holding it."""
    project = tmp_path / "beta-service"
    project.mkdir()
    ledger = project / ".claude-session.db"
    conn = s.build_ledger(ledger, str(project))
    conn.execute("UPDATE sessions SET project_dir = NULL")
    conn.commit()
    conn.close()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    path = tmp_path / "fd.db"
    proc = sync("--to", "flightdeck", "--target-db", str(path), "--db", str(ledger), cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert {r["project_id"] for r in s.rows(path, "SELECT DISTINCT project_id FROM agent_roster")} == {"beta-service"}
