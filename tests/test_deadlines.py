"""Deadlines that hold: with the ledger's write lock held by someone else and
HOOKLEDGER_BUSY_TIMEOUT_MS raised far past the deadline, every event's hook still exits 0
before its deadline with its event spooled (SQLite's busy wait cannot be interrupted, so the
wait itself is capped), SessionEnd well inside Claude Code's 1.5 s, and nothing is lost once
the lock is gone."""

from __future__ import annotations

import sqlite3
import time

import pytest

from conftest import load_fixture, rows, run_hook
from hookledger.hotpath.events import EVENTS

FIXTURE = {
    "SessionStart": "SessionStart__startup", "UserPromptSubmit": "UserPromptSubmit__default",
    "PreToolUse": "PreToolUse__Write", "PostToolUse": "PostToolUse__Bash",
    "PostToolUseFailure": "PostToolUseFailure__Bash", "PostToolBatch": "PostToolBatch__default",
    "SubagentStart": "SubagentStart__general-purpose", "SubagentStop": "SubagentStop__general-purpose",
    "Stop": "Stop__default", "PreCompact": "PreCompact__manual", "PostCompact": "PostCompact__manual",
    "SessionEnd": "SessionEnd__other", "TaskCreated": "TaskCreated__default", "TaskCompleted": "TaskCompleted__default",
}
RAISED = "600000"  # ten minutes of busy wait asked for
DEADLINE_S = 1.0  # shortened for the test; the margin below covers interpreter start-up
START_SLACK_S = 1.0


def held_lock(project) -> sqlite3.Connection:
    conn = sqlite3.connect(str(project / ".claude-session.db"), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.fixture
def ledger(project):
    assert run_hook("SessionStart", load_fixture("SessionStart__startup", project), project).returncode == 0
    return project


def test_every_event_is_covered():
    assert set(FIXTURE) == set(EVENTS)


@pytest.mark.parametrize("event", [e for e in EVENTS if e != "SessionEnd"])
def test_locked_ledger_and_raised_busy_timeout_exit_before_the_deadline(ledger, event):
    lock = held_lock(ledger)
    try:
        started = time.monotonic()
        proc = run_hook(event, load_fixture(FIXTURE[event], ledger), ledger,
                        env={"HOOKLEDGER_BUSY_TIMEOUT_MS": RAISED, "HOOKLEDGER_DEADLINE_S": str(DEADLINE_S)})
        elapsed = time.monotonic() - started
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert proc.returncode in (0, 2) and b"spooled" in proc.stderr, proc.stderr
    assert elapsed < DEADLINE_S + START_SLACK_S, f"{event} took {elapsed:.2f} s"
    assert len(list((ledger / ".claude-session.db.spool").glob("*.event.json"))) == 1
    run_hook("Stop", load_fixture("Stop__default", ledger), ledger)
    assert rows(ledger, "SELECT count(*) AS n FROM hook_events WHERE event_type = ? AND replayed = 1", (event,)) == [{"n": 1}]


def test_session_end_spools_well_inside_claude_codes_budget(ledger):
    lock = held_lock(ledger)
    try:
        started = time.monotonic()
        proc = run_hook("SessionEnd", load_fixture("SessionEnd__other", ledger), ledger,
                        env={"HOOKLEDGER_BUSY_TIMEOUT_MS": RAISED, "HOOKLEDGER_DEADLINE_S": "30"})
        elapsed = time.monotonic() - started
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert proc.returncode == 0 and b"spooled" in proc.stderr
    assert elapsed < 1.0, f"SessionEnd took {elapsed:.2f} s with the ledger locked"
    run_hook("Stop", load_fixture("Stop__default", ledger), ledger)
    assert rows(ledger, "SELECT count(*) AS n FROM hook_events WHERE event_type = 'SessionEnd'") == [{"n": 1}]


def test_session_after_a_held_lock_loses_nothing(ledger):
    """A whole session's events while the ledger is locked: each spooled in time, all
    recorded once the lock is gone."""
    lock = held_lock(ledger)
    try:
        for event in EVENTS:
            proc = run_hook(event, load_fixture(FIXTURE[event], ledger), ledger,
                            env={"HOOKLEDGER_BUSY_TIMEOUT_MS": RAISED, "HOOKLEDGER_DEADLINE_S": "0.5"})
            assert proc.returncode in (0, 2), proc.stderr
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    for _ in range(5):  # each run replays for at most REPLAY_BUDGET_S
        run_hook("Stop", load_fixture("Stop__default", ledger), ledger)
        if not list((ledger / ".claude-session.db.spool").glob("*.event.json")):
            break
    recorded = {r["event_type"] for r in rows(ledger, "SELECT event_type FROM hook_events WHERE replayed = 1")}
    assert recorded == set(EVENTS)
    assert list((ledger / ".claude-session.db.spool").glob("*.event.json")) == []
