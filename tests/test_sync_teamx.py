"""Sync into Team-X: unix-ms integers, text ids, append-only events/heartbeats, one active checkout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sync_support as s
from hookledger.sync.teamx import runtime_session_id


def populated(tmp_path: Path) -> Path:
    return s.make_target(tmp_path / "team-x.sqlite", "teamx_populated.sql")


def test_empty_target_creates_company_employee_and_sessions(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "team-x.sqlite"
    s.run("teamx", ledger, target, project)
    assert s.fk_violations(target) == []
    companies, employees = s.rows(target, "SELECT * FROM companies"), s.rows(target, "SELECT * FROM employees")
    # Claude Code, and one employee per kind of subagent (its runtime sessions' employee)
    assert len(companies) == 1 and all(e["company_id"] == companies[0]["id"] for e in employees)
    assert sorted(e["name"] for e in employees) == ["Claude Code", "Claude Code Explore", "Claude Code general-purpose"]
    sessions = {r["id"]: r for r in s.rows(target, "SELECT * FROM runtime_sessions")}
    a = sessions[runtime_session_id(s.SID_A)]
    assert a["adapter_kind"] == "claude-code" and a["status"] == "ended"
    assert isinstance(a["started_at"], int) and a["started_at"] > 10**12  # unix milliseconds
    assert sessions[runtime_session_id(s.SID_B)]["status"] == "idle"  # live, its last hook a Stop
    events = s.rows(target, "SELECT * FROM events WHERE event_type NOT LIKE 'claude_code.file_%'")
    assert len(events) == s.rows(ledger, "SELECT count(*) AS n FROM hook_events")[0]["n"]
    assert all(isinstance(e["id"], str) and e["created_at"] > 10**12 and s.SECRET not in e["payload_json"] for e in events)
    calls = {(c["tool_name"], c["status"]) for c in s.rows(target, "SELECT * FROM tool_calls")}
    assert calls == {("Write", "success"), ("Bash", "error"), ("Bash", "denied")}
    write = s.rows(target, "SELECT latency_ms FROM tool_calls WHERE tool_name = 'Write' LIMIT 1")[0]
    assert write["latency_ms"] == 1000  # PreToolUse -> PostToolUse
    beats = s.rows(target, "SELECT status FROM runtime_heartbeats WHERE session_id = ?", (runtime_session_id(s.SID_A),))
    assert {b["status"] for b in beats} == {"working", "idle", "ended"}
    # no ticket to map to: each task became a ticket of its own, checked out by its session
    tickets = {r["title"]: r for r in s.rows(target, "SELECT * FROM tickets")}
    assert tickets["Add login form"]["status"] == "done" and tickets["Add login form"]["closed_at"] > 10**12
    assert tickets["Fix flaky tests"]["status"] == "in-progress"
    checkouts = {r["ticket_id"]: r["status"] for r in s.rows(target, "SELECT * FROM ticket_checkouts")}
    assert checkouts == {tickets["Add login form"]["id"]: "completed", tickets["Fix flaky tests"]["id"]: "active"}
    # the live session works on the ticket it holds; the ended one on none
    assert sessions[runtime_session_id(s.SID_B)]["current_ticket_id"] == tickets["Fix flaky tests"]["id"]
    assert sessions[runtime_session_id(s.SID_A)]["current_ticket_id"] is None


def test_prepopulated_tickets_get_checkouts_but_never_two_active(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = populated(tmp_path)
    theirs = s.dump(target)
    report = s.run("teamx", ledger, target, project)
    assert s.fk_violations(target) == []
    after = s.dump(target)
    for table, rows in theirs.items():  # nothing of theirs changed or vanished
        assert set(rows) <= set(after[table]), table
    checkouts = {r["ticket_id"]: r for r in s.rows(target, "SELECT * FROM ticket_checkouts WHERE id != 'co-other'")}
    assert checkouts["tk-flaky"]["status"] == "active"  # task in progress in the live session
    assert checkouts["tk-login"]["status"] == "completed" and checkouts["tk-login"]["released_at"] > 10**12
    assert "tk-busy" not in checkouts
    active = s.rows(target, "SELECT ticket_id, count(*) AS n FROM ticket_checkouts WHERE status = 'active' GROUP BY ticket_id")
    assert all(r["n"] == 1 for r in active)
    assert report.written > 0


def test_ticket_held_by_another_run_is_skipped(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = populated(tmp_path)
    conn = s.open_target(target)
    conn.execute("UPDATE ticket_checkouts SET ticket_id = 'tk-flaky' WHERE id = 'co-other'")
    conn.commit()
    conn.close()
    report = s.run("teamx", ledger, target, project)
    assert report.skipped.get("ticket_checkouts") == 1
    assert s.rows(target, "SELECT id FROM ticket_checkouts WHERE ticket_id = 'tk-flaky'") == [{"id": "co-other"}]


def test_second_sync_adds_nothing_and_events_stay_append_only(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_idempotent("teamx", ledger, populated(tmp_path), project)  # update triggers would abort


def test_dry_run_writes_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_dry_run("teamx", ledger, populated(tmp_path), project)


def test_interrupted_sync_resumes_without_duplicates(tmp_path, monkeypatch):
    ledger, project = s.setup(tmp_path)
    s.check_resume("teamx", ledger, tmp_path / "tx.db", project, tmp_path, monkeypatch)


def test_state_changes_update_sessions_and_never_events_or_heartbeats(tmp_path):
    """The seed target RAISEs on any UPDATE or DELETE of events and runtime_heartbeats."""
    ledger, project = s.setup(tmp_path)
    target = s.make_target(tmp_path / "team-x.sqlite", "seed_teamx.sql")
    status = lambda: s.rows(target, "SELECT status FROM runtime_sessions WHERE id = ?",  # noqa: E731
                            (runtime_session_id(s.SID_B),))[0]["status"]
    s.run("teamx", ledger, target, project)
    assert status() == "idle"
    conn = sqlite3.connect(str(ledger))
    s.insert(conn, "hook_events", session_id=s.SID_B, timestamp=s.ago(1), event_type="UserPromptSubmit",
             dispatcher="UserPromptSubmit", payload_summary="{}", event_uid="uid-more", outcome="ok", replayed=0)
    conn.commit()
    report = s.run("teamx", ledger, target, project)
    assert status() == "working" and report.inserted == {"events": 1, "runtime_heartbeats": 1}
    assert report.updated == {"runtime_sessions": 1}  # status and last heartbeat; its run did not change
    conn.execute("UPDATE sessions SET status = 'ended', ended_at = ?, last_event_at = ? WHERE session_id = ?",
                 (s.ago(0), s.ago(0), s.SID_B))
    s.insert(conn, "hook_events", session_id=s.SID_B, timestamp=s.ago(0), event_type="SessionEnd",
             dispatcher="SessionEnd", payload_summary="{}", event_uid="uid-end", outcome="ok", replayed=0)
    conn.commit()
    conn.close()
    s.run("teamx", ledger, target, project)
    assert status() == "ended"
    beats = s.rows(target, "SELECT status FROM runtime_heartbeats WHERE session_id = ? ORDER BY created_at",
                   (runtime_session_id(s.SID_B),))
    assert beats[-1]["status"] == "ended"
    s.check_constraints(target)
