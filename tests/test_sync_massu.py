"""Sync into Massu's memory.db: empty (created from the docs) and Massu-made, pre-populated."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time

import sync_support as s


def test_empty_target_gets_documented_tables_and_conventions(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    report = s.run("massu", ledger, target, project)
    assert set(report.created_tables) == {"sessions", "observations", "session_summaries", "audit_log", "user_prompts",
                                         "conversation_turns"}
    assert s.fk_violations(target) == []
    sessions = {r["session_id"]: r for r in s.rows(target, "SELECT * FROM sessions")}
    assert set(sessions) == {s.SID_A, s.SID_B, s.SID_C}  # C only appears in failed_paths / hook_events
    assert sessions[s.SID_A]["status"] == "completed" and sessions[s.SID_B]["status"] == "active"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sessions[s.SID_A]["created_at"])
    obs = s.rows(target, "SELECT * FROM observations")
    # the runtime error is an incident when it happened, and a bugfix once it was auto-fixed
    assert {o["type"] for o in obs} == {"file_change", "failed_attempt", "vr_check", "incident_near_miss", "bugfix",
                                        "decision"}  # decision: the delegations to subagents
    [fix] = [o for o in obs if o["type"] == "bugfix"]
    assert fix["title"] == "Fixed runtime error: python -m app" and fix["session_id"] == s.SID_B
    # a claim whose tool call failed changed nothing
    assert not [o for o in obs if "never.py" in o["title"]]
    assert all(1 <= o["importance"] <= 5 for o in obs)
    lint = next(o for o in obs if o["type"] == "vr_check")
    assert lint["vr_type"] == "lint" and lint["importance"] == 5  # escalated to the user
    assert s.SECRET not in lint["description"] and "[REDACTED" in lint["description"]
    # the FTS index is kept in step by the triggers created with the table
    hits = s.rows(target, "SELECT rowid FROM observations_fts WHERE observations_fts MATCH 'regex'")
    assert len(hits) == 1
    audit = s.rows(target, "SELECT * FROM audit_log ORDER BY id")
    kinds = {(a["event_type"], a["actor"], a["change_type"], a["approval_status"]) for a in audit}
    assert ("code_change", "ai", "create", "auto_approved") in kinds
    assert ("code_change", "agent", "edit", "auto_approved") in kinds  # the subagent's Edit
    assert ("review", "hook", None, "denied") in kinds and ("review", "hook", None, "auto_approved") in kinds
    assert ("compaction", "hook", None, None) in kinds
    summary = s.rows(target, "SELECT * FROM session_summaries WHERE session_id = ?", (s.SID_A,))
    assert summary and summary[0]["request"] == "Add a login form"
    assert "parse dates with a regex: breaks on ISO weeks" in summary[-1]["failed_attempts"]
    assert json.loads(summary[0]["plan_progress"]) == {"1": "in_progress"} and "Changed src/app.py" in summary[0]["completed"]


def test_prepopulated_massu_rows_are_left_alone(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    s.make_target(target, "massu_populated.sql")
    theirs = s.rows(target, "SELECT * FROM sessions")
    report = s.run("massu", ledger, target, project)
    assert report.created_tables == ["user_prompts", "conversation_turns"]  # tables this Massu lacks
    assert s.fk_violations(target) == []
    after = {r["session_id"]: r for r in s.rows(target, "SELECT * FROM sessions")}
    for row in theirs:  # Massu's own rows, including its copy of session A, are untouched
        assert after[row["session_id"]] == row
    b = after[s.SID_B]
    assert b["started_at_epoch"] > 0 and b["project"] == "acme-app"  # columns beyond the docs filled
    obs = s.rows(target, "SELECT * FROM observations WHERE session_id = ? AND type = 'failed_attempt'", (s.SID_A,))
    assert obs[0]["detail"].startswith("breaks on ISO weeks") and obs[0]["created_at"].endswith("Z")
    assert s.rows(target, "SELECT count(*) AS n FROM memory_meta")[0]["n"] == 1


def test_second_sync_adds_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_idempotent("massu", ledger, tmp_path / "memory.db", project)


def test_session_status_follows_the_ledger(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    s.run("massu", ledger, target, project)
    conn = sqlite3.connect(str(ledger))
    conn.execute("UPDATE sessions SET status = 'ended', ended_at = ? WHERE session_id = ?", (s.ago(1), s.SID_B))
    conn.commit()
    conn.close()
    report = s.run("massu", ledger, target, project)
    assert report.updated == {"sessions": 1}
    assert s.rows(target, "SELECT status FROM sessions WHERE session_id = ?", (s.SID_B,))[0]["status"] == "completed"


def test_dry_run_writes_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_dry_run("massu", ledger, tmp_path / "memory.db", project)
    assert not (tmp_path / "memory.db").exists()


def test_interrupted_sync_resumes_without_duplicates(tmp_path, monkeypatch):
    ledger, project = s.setup(tmp_path)
    s.check_resume("massu", ledger, tmp_path / "memory.db", project, tmp_path, monkeypatch)


def test_locked_target_is_retried(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    s.run("massu", ledger, target, project)  # tables exist
    conn = sqlite3.connect(str(ledger))
    conn.execute("DELETE FROM sync_cursors")
    conn.commit()
    conn.close()
    holder = s.open_target(target, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for a moment
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    started = time.monotonic()
    report = s.run("massu", ledger, target, project)
    assert time.monotonic() - started >= 0.25  # it waited for the lock instead of failing
    assert report.inserted == {}  # everything was already there: keyed writes de-duplicate
    holder.close()


def test_error_fixed_after_a_sync_becomes_a_bugfix_once(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    conn = sqlite3.connect(str(ledger))
    s.insert(conn, "error_log", session_id=s.SID_B, timestamp=s.ago(40), agent_id=f"main:{s.SID_B}", error_category="test",
             error_message="2 failed", attempt_number=1, tool_name="Bash", command="make check", signature="make check")
    conn.commit()
    s.run("massu", ledger, target, project)  # the error is still open
    titles = lambda: sorted(o["title"] for o in s.rows(target, "SELECT title FROM observations WHERE title LIKE '%make check%'"))  # noqa: E731
    assert titles() == ["test error: make check (attempt 1)"]
    conn.execute("UPDATE error_log SET resolution = 'auto_fixed', resolved_at = ? WHERE command = 'make check'", (s.ago(5),))
    conn.commit()
    conn.close()
    s.run("massu", ledger, target, project)  # the open error held the cursor: its fix arrives
    assert titles() == ["Fixed test error: make check", "test error: make check (attempt 1)"]
    assert s.run("massu", ledger, target, project).inserted == {}


def test_a_delegation_is_told_once_its_task_is_known(tmp_path):
    """A subagent whose Agent call is not linked yet has no task: its delegation waits for it,
    so the observation is written once, with the task (never a second, task-less one)."""
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    conn = sqlite3.connect(str(ledger))
    s.insert(conn, "agent_registry", id="a0new0000000000001", session_id=s.SID_B, agent_type="Explore",
             spawn_time=s.ago(10), status="running")
    conn.commit()
    s.run("massu", ledger, target, project)
    delegated = lambda: [o["title"] for o in s.rows(target, "SELECT title FROM observations WHERE type = 'decision'"  # noqa: E731
                                                    " AND title LIKE '%a0new%'")]
    assert delegated() == []
    conn.execute("UPDATE agent_registry SET task_description = 'Map the modules' WHERE id = 'a0new0000000000001'")
    conn.commit()
    conn.close()
    s.run("massu", ledger, target, project)
    assert delegated() == ["Delegated to Explore agent a0new0000000000001: Map the modules"]
    assert s.run("massu", ledger, target, project).inserted == {}
