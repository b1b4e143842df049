"""Sync into the coordination DB (flightdeck): ISO 'Z' times, team 'default', lock ownership."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import sync_support as s

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def populated(tmp_path: Path, project: Path) -> Path:
    return s.flightdeck_target(tmp_path / "flightdeck.db", contested=f"{project}/src/contested.py",
                               expired=f"{project}/sub.txt", glob=f"{project}/vendor/*")


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
    assert {"file_edit", "sub_agent_spawned", "error", "task_completed", "status_change"} <= actions <= s.FLIGHTDECK_ACTION_TYPES
    # the server reads a file_edit's path from details.file
    edits = s.rows(target, "SELECT details FROM activity_log WHERE action_type = 'file_edit'")
    assert {Path(json.loads(e["details"])["file"]).name for e in edits} >= {"app.py", "live.py", "sub.txt"}
    decisions = {r["status"]: r for r in s.rows(target, "SELECT * FROM decisions")}
    assert set(decisions) == {"confirmed", "rejected"}
    assert decisions["confirmed"]["auto_approved"] == 1 and ISO_Z.fullmatch(decisions["confirmed"]["confirmed_at"])
    # the server stamps confirmed_at on a rejection too: the time it was decided
    assert decisions["rejected"]["auto_approved"] == 0 and ISO_Z.fullmatch(decisions["rejected"]["confirmed_at"])
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
    # their rows stay; the roster's status (a column the seed omits) is written for ours
    assert s.rows(target, "SELECT status FROM agent_roster WHERE agent_id = 'agent-7f3a'") == [{"status": "running"}]
    status = {r["agent_id"]: r["status"] for r in s.rows(target, "SELECT agent_id, status FROM agent_roster")}
    assert status[s.SUB_LIVE] == "running" and status[s.SUB_DONE] == "terminated" and status[f"main:{s.SID_A}"] == "terminated"
    assert s.rows(target, "SELECT count(*) AS n FROM decisions WHERE id = 'dec-1'")[0]["n"] == 1
    assert {r["category"] for r in s.rows(target, "SELECT category FROM decisions WHERE id != 'dec-1'")} == {"general"}
    s.check_constraints(target)


def test_a_live_directory_lock_of_another_agent_covers_the_file(tmp_path):
    ledger, project = s.setup(tmp_path)
    conn = sqlite3.connect(str(ledger))  # the live subagent edits a file under their vendor/* lock
    s.insert(conn, "file_claims", session_id=s.SID_B, agent_id=s.SUB_LIVE, file_path=f"{project}/vendor/lib.py",
             operation="Edit", timestamp=s.ago(15), status="held", phase="done")
    conn.commit()
    conn.close()
    target = populated(tmp_path, project)
    s.run("flightdeck", ledger, target, project)
    assert s.rows(target, "SELECT * FROM file_locks WHERE file_path LIKE '%vendor/lib.py'") == []
    [glob] = s.rows(target, "SELECT agent_id FROM file_locks WHERE file_path LIKE '%vendor/*'")
    assert glob["agent_id"] == "agent-7f3a"
    # the edit itself is still reported
    assert s.rows(target, "SELECT count(*) AS n FROM activity_log WHERE summary LIKE '%vendor/lib.py'")[0]["n"] == 1


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

    from hookledger.hotpath.timeutil import parse_utc

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


def test_a_claim_put_to_the_user_is_a_decision_needing_confirmation(tmp_path):
    """claims.policy ask: pending while the session runs, confirmed once the call went ahead,
    rejected when the session ended without it."""
    ledger, project = s.setup(tmp_path)
    conn = sqlite3.connect(str(ledger))
    for n, (sid, ran) in enumerate(((s.SID_B, True), (s.SID_B, False), (s.SID_A, False))):
        s.insert(conn, "claim_conflicts", timestamp=s.ago(25), session_id=sid, file_path=f"src/f{n}.py", agent_id=s.SUB_LIVE,
                 tool_name="Edit", tool_use_id=f"toolu_ask{n}", operation="Edit", holder_agent_id=f"main:{sid}",
                 holder_task="Fix it", holder_claimed_at=s.ago(60), policy="ask", answer="ask")
        if ran:
            s.insert(conn, "hook_events", session_id=sid, timestamp=s.ago(24), event_type="PostToolUse",
                     dispatcher="PostToolUse", payload_summary="{}", event_uid=f"uid-ask{n}", agent_id=s.SUB_LIVE,
                     tool_name="Edit", tool_use_id=f"toolu_ask{n}", outcome="ok", replayed=0)
    conn.commit()
    target = tmp_path / "fd.db"
    s.run("flightdeck", ledger, target, project)
    asked = {r["title"].split()[1]: r for r in s.rows(target, "SELECT * FROM decisions WHERE needs_confirmation = 1")}
    assert {k: v["status"] for k, v in asked.items()} == {"src/f0.py": "confirmed", "src/f1.py": "recorded",
                                                          "src/f2.py": "rejected"}
    assert asked["src/f0.py"]["confirmed_at"] == s.iso_z_at_ts(s.rows(ledger, "SELECT timestamp FROM hook_events"
                                                                       " WHERE tool_use_id = 'toolu_ask0'")[0]["timestamp"])
    assert asked["src/f1.py"]["confirmed_at"] is None and asked["src/f1.py"]["auto_approved"] == 0
    assert asked["src/f0.py"]["rationale"].endswith("for: Fix it")
    assert s.run("flightdeck", ledger, target, project).inserted == {}


def test_task_cost_records_price_each_agents_work_on_each_task(tmp_path):
    """The responses an agent gave while it had a task open, summed and priced; responses
    outside any task are not counted; a model the price table lacks makes the cost NULL."""
    from decimal import Decimal

    from hookledger.knowledge.costs import Usage, message_cost
    from hookledger.knowledge.prices import load

    ledger, project = s.setup(tmp_path)
    conn = sqlite3.connect(str(ledger))
    usage = [  # (session, agent, seconds ago, model, input, output, cache write, cache read)
        (s.SID_B, s.SUB_LIVE, 200, "claude-sonnet-4-5", 1200, 300, 400, 5000),
        (s.SID_B, s.SUB_LIVE, 150, "claude-sonnet-4-5", 800, 100, 0, 6000),
        (s.SID_B, s.SUB_LIVE, 400, "claude-sonnet-4-5", 999, 999, 0, 0),  # before its task existed
        (s.SID_B, f"main:{s.SID_B}", 200, "claude-sonnet-4-5", 50, 50, 0, 0),  # the lead has no task here
        (s.SID_A, f"main:{s.SID_A}", 5000, "claude-opus-4-1", 2000, 500, 0, 1000),
        (s.SID_A, f"main:{s.SID_A}", 4000, "my-local-model", 10, 10, 0, 0),  # no price
    ]
    for n, (sid, agent, age, model, inp, out, cw, cr) in enumerate(usage):
        s.insert(conn, "transcript_usage", session_id=sid, message_key=f"msg{n}:req{n}", model=model, input_tokens=inp,
                 output_tokens=out, cache_creation_input_tokens=cw, cache_read_input_tokens=cr, timestamp=s.ago(age),
                 agent_id=agent)
    conn.commit()
    conn.close()
    target = s.make_target(tmp_path / "fd.db", "seed_flightdeck.sql")
    s.run("flightdeck", ledger, target, project)
    records = {(r["agent_id"], r["lead_id"]): r for r in s.rows(target, "SELECT * FROM task_cost_records")}
    assert set(records) == {(s.SUB_LIVE, f"main:{s.SID_B}"), (f"main:{s.SID_A}", f"main:{s.SID_A}")}
    sub = records[(s.SUB_LIVE, f"main:{s.SID_B}")]
    assert (sub["dag_task_id"], sub["input_tokens"], sub["output_tokens"], sub["cache_write_tokens"],
            sub["cache_read_tokens"]) == ("1", 2000, 400, 400, 11000)
    stamps = s.rows(ledger, "SELECT model, timestamp, input_tokens, output_tokens, cache_creation_input_tokens,"
                            " cache_read_input_tokens FROM transcript_usage WHERE agent_id = ? AND message_key IN ('msg0:req0', 'msg1:req1')",
                    (s.SUB_LIVE,))
    expected = sum(message_cost(load(), r["model"], Usage(r["input_tokens"], r["output_tokens"],
                                                          r["cache_creation_input_tokens"], 0, 0,
                                                          r["cache_read_input_tokens"]), r["timestamp"]) for r in stamps)
    assert Decimal(str(sub["cost_usd"])) == expected.quantize(Decimal("0.000001")) > 0
    lead = records[(f"main:{s.SID_A}", f"main:{s.SID_A}")]
    assert lead["input_tokens"] == 2010 and lead["cost_usd"] is None  # one response could not be priced
    assert s.run("flightdeck", ledger, target, project).inserted == {}
    s.check_constraints(target)
