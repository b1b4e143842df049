"""Sync into the coordination DB (flightdeck): ISO 'Z' times, team 'default', lock ownership."""

from __future__ import annotations

import re
import time
from pathlib import Path

import sync_support as s
from hookledger.sync.base import iso_z_at

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def populated(tmp_path: Path, project: Path) -> Path:
    now = time.time()
    return s.make_target(tmp_path / "flightdeck.db", "flightdeck_populated.sql", PROJECT=str(project),
                         NOW=iso_z_at(now), LIVE=iso_z_at(now + 600), EXPIRED=iso_z_at(now - 3600))


def test_empty_target(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "flightdeck.db"
    s.run("flightdeck", ledger, target, project)
    roster = {r["agent_id"]: r for r in s.rows(target, "SELECT * FROM agent_roster")}
    assert {f"main:{s.SID_A}", f"main:{s.SID_B}", s.SUB_LIVE, s.SUB_DONE} <= set(roster)
    assert all(r["team_id"] == "default" and ISO_Z.fullmatch(r["created_at"]) for r in roster.values())
    assert roster[s.SUB_LIVE]["role"] == "general-purpose" and roster[f"main:{s.SID_A}"]["role"] == "lead"
    locks = {Path(r["file_path"]).name: r for r in s.rows(target, "SELECT * FROM file_locks")}
    # only live claims of running agents are locks; session A ended an hour ago
    assert set(locks) == {"live.py", "sub.txt", "contested.py"}
    assert locks["sub.txt"]["agent_id"] == s.SUB_LIVE and ISO_Z.fullmatch(locks["sub.txt"]["expires_at"])
    actions = {r["action_type"] for r in s.rows(target, "SELECT action_type FROM activity_log")}
    assert {"file_edit", "sub_agent_spawned", "error", "task_completed"} <= actions
    decisions = {r["status"]: r for r in s.rows(target, "SELECT * FROM decisions")}
    assert set(decisions) == {"confirmed", "rejected"}
    assert decisions["confirmed"]["auto_approved"] == 1 and ISO_Z.fullmatch(decisions["confirmed"]["confirmed_at"])
    errors = s.rows(target, "SELECT summary FROM activity_log WHERE action_type = 'error'")
    assert all(s.SECRET not in e["summary"] for e in errors)


def test_live_lock_of_another_agent_is_never_taken(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = populated(tmp_path, project)
    before = s.rows(target, "SELECT * FROM file_locks WHERE agent_id = 'agent-7f3a' AND file_path LIKE '%contested.py'")
    report = s.run("flightdeck", ledger, target, project)
    assert s.rows(target, "SELECT * FROM file_locks WHERE file_path LIKE '%contested.py'") == before
    assert report.skipped.get("file_locks", 0) >= 1
    # the expired lock on sub.txt was free: our subagent holds it now
    sub = s.rows(target, "SELECT agent_id FROM file_locks WHERE file_path LIKE '%sub.txt'")
    assert sub == [{"agent_id": s.SUB_LIVE}]
    # their rows stay, columns we do not know are left to their defaults
    assert s.rows(target, "SELECT status FROM agent_roster WHERE agent_id = 'agent-7f3a'") == [{"status": "busy"}]
    assert s.rows(target, "SELECT count(*) AS n FROM decisions WHERE id = 'dec-1'")[0]["n"] == 1
    assert s.rows(target, "SELECT category FROM decisions WHERE id != 'dec-1' LIMIT 1")[0]["category"] == ""


def test_second_sync_adds_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_idempotent("flightdeck", ledger, populated(tmp_path, project), project)


def test_dry_run_writes_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_dry_run("flightdeck", ledger, populated(tmp_path, project), project)


def test_interrupted_sync_resumes_without_duplicates(tmp_path, monkeypatch):
    ledger, project = s.setup(tmp_path)
    s.check_resume("flightdeck", ledger, tmp_path / "fd.db", project, tmp_path, monkeypatch)


def test_lock_ends_when_its_claim_is_released(tmp_path):
    import sqlite3

    from hookledger.timeutil import parse_utc

    ledger, project = s.setup(tmp_path)
    target = tmp_path / "flightdeck.db"
    s.run("flightdeck", ledger, target, project)
    [lock] = s.rows(target, "SELECT * FROM file_locks WHERE file_path LIKE '%/sub.txt'")
    assert lock["agent_id"] == s.SUB_LIVE and parse_utc(lock["expires_at"].replace("T", " ").rstrip("Z")) > time.time()
    released = s.ago(1)
    conn = sqlite3.connect(str(ledger))  # SubagentStop: the agent completes and its claims are released
    conn.execute("UPDATE agent_registry SET status = 'completed', end_time = ? WHERE id = ?", (released, s.SUB_LIVE))
    conn.execute("UPDATE file_claims SET released_at = ? WHERE agent_id = ?", (released, s.SUB_LIVE))
    conn.commit()
    conn.close()
    report = s.run("flightdeck", ledger, target, project)
    assert report.updated.get("file_locks") == 2  # sub.txt and contested.py; the row stays, now expired
    [lock] = s.rows(target, "SELECT * FROM file_locks WHERE file_path LIKE '%/sub.txt'")
    assert lock["agent_id"] == s.SUB_LIVE and lock["expires_at"] == s.iso_z_at_ts(released)
    done = s.run("flightdeck", ledger, target, project)
    assert done.inserted == {} and done.updated == {}
