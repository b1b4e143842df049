"""End to end: recorded Claude Code sessions through the real hooks, then `hookledger sync`
(a subprocess, as a user runs it) into each target, with foreign keys on, in three forms:

- `created`: no target yet, sync creates the tables it writes;
- `seed`: every table of the seed document, as tests/seed_schema.py extracts it, plus the facts
  of issue 7 (Massu's CHECKs and FTS5 triggers, Team-X's append-only triggers and one active
  checkout per ticket) and the documented enums as CHECK constraints;
- `populated`: the schema the system itself creates (columns the seed omits, some it lists
  missing) with rows of its own: another agent's live lock on a file our subagent claimed, an
  agent already named with the alias we would pick, a ticket checked out by someone else.

Values are checked against what those sessions did; a second sync must add nothing.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import sync_support as s
from hookledger.knowledge.costs import Usage, message_cost
from hookledger.knowledge.prices import load
from hookledger.sync.codewalkers import alias
from hookledger.hotpath.timeutil import parse_utc

LIB = Path(__file__).resolve().parents[1] / "lib"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
TARGETS = ("massu", "flightdeck", "codewalkers", "teamx")
VARIANTS = ("created", "seed", "populated")
A_BASIC = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"
B_SUBAGENT = "16844d04-f039-4e79-b808-175a142b454b"
C_COMPACT = "653000e5-5ec8-4bd1-8e55-ed16fefd33d1"
SUBAGENT = "aff41339c1597efe4"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> tuple[Path, Path]:
    """(project, ledger) after replaying the recorded sessions through the real hooks (the four
    captured whole, which all ended; the composed f_team, still running, has its own tests)."""
    from hookledger.faces.demo import run

    project = tmp_path_factory.mktemp("e2e") / "acme-app"
    demo = run(["a_basic", "b_subagent", "c_compact", "e_tasks"], project=str(project))
    assert all(c.exit_code == 0 for r in demo.results.values() for c in r.calls)
    return project, Path(demo.db)


def ledger_rows(ledger: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    conn = sqlite3.connect(str(ledger))
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def make(target: str, variant: str, path: Path) -> Path:
    if variant == "created":
        return path
    if variant == "seed":
        return s.make_target(path, f"seed_{target}.sql")
    if target == "flightdeck":  # the subagent wrote sub.txt; its main thread hello.txt
        return s.flightdeck_target(path, contested="sub.txt", expired="hello.txt", glob="vendor/*")
    return s.make_target(path, f"{target}_populated.sql", TAKEN_ALIAS=alias(f"main:{A_BASIC}"))


def sync_cli(target: str, path: Path, project: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(LIB)}
    proc = subprocess.run([sys.executable, "-m", "hookledger", "sync", "--to", target, "--target-db", str(path),
                           "--project", str(project), *extra], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("target", TARGETS)
def test_sync_recorded_sessions(replayed, tmp_path, target, variant):
    project, ledger = replayed
    path = make(target, variant, tmp_path / f"{target}.db")
    before = s.dump(path) if path.exists() else {}
    first = sync_cli(target, path, project).stdout
    assert "inserted" in first
    s.check_constraints(path)
    CHECKS[target](path, ledger, project)
    # whatever the target held before is still there, unchanged
    after = s.dump(path)
    for table, old_rows in before.items():
        assert set(old_rows) <= set(after[table]), table
    # a second sync adds nothing and changes nothing
    second = sync_cli(target, path, project).stdout
    assert "nothing new" in second, second
    assert s.dump(path) == after


def ms(ts: str) -> int:
    return int(round(parse_utc(ts) * 1000))


def payload(event: dict[str, Any]) -> dict[str, Any]:
    return json.loads(event["payload_summary"])


# ---------------------------------------------------------------- per target


def check_massu(path: Path, ledger: Path, project: Path) -> None:
    sessions = {r["session_id"]: r for r in s.rows(path, "SELECT * FROM sessions")}
    ours = ledger_rows(ledger, "SELECT session_id, status, started_at FROM sessions")
    for o in ours:  # every session, its status in Massu's vocabulary, its start as ISO 'Z'
        row = sessions[o["session_id"]]
        if "project" in row and o["session_id"] == A_BASIC:
            continue  # the populated memory.db holds Massu's own row for A: left as it was
        assert row["status"] == {"ended": "completed", "abandoned": "abandoned"}.get(o["status"], "active")
        assert (row.get("started_at") or row["created_at"]) == s.iso_z_at_ts(o["started_at"])
    obs = s.rows(path, "SELECT * FROM observations WHERE session_id != 'massu-own-session'")
    assert all(1 <= o["importance"] <= 5 for o in obs)
    changes = {(o["session_id"], json.loads(o["files_involved"])[0]) for o in obs if o["type"] == "file_change"}
    claims = {(c["session_id"], c["file_path"]) for c in ledger_rows(ledger, "SELECT * FROM file_claims WHERE phase = 'done'")}
    assert changes == claims
    text = lambda o: o.get("description") or o.get("detail") or ""  # noqa: E731
    [err] = [o for o in obs if o["session_id"] == A_BASIC and "nonexistent-dir-xyz" in (o["title"] + text(o))]
    assert err["type"] in ("incident_near_miss", "vr_check") and "No such file" in text(err)
    fts = s.rows(path, "SELECT rowid FROM observations_fts WHERE observations_fts MATCH 'nonexistent'")
    assert err["id"] in {r["rowid"] for r in fts}
    conn = s.open_target(path)  # the FTS index agrees with its content table, row for row
    conn.execute("INSERT INTO observations_fts(observations_fts) VALUES ('integrity-check')")
    conn.close()
    audit = s.rows(path, "SELECT * FROM audit_log WHERE event_type = 'code_change'")
    by_file = {(a["file_path"], a["change_type"]): a for a in audit}
    assert by_file[("sub.txt", "create")]["actor"] == "agent" and by_file[("hello.txt", "edit")]["actor"] == "ai"
    assert all(ISO_Z.fullmatch(a["timestamp"]) for a in audit)
    summaries = s.rows(path, "SELECT * FROM session_summaries WHERE session_id = ?", (C_COMPACT,))
    assert summaries and all(r["request"] == "[[agent:main]] Write before.txt." for r in summaries)
    assert any("before.txt" in (r["completed"] or "") for r in summaries)
    compactions = s.rows(path, "SELECT * FROM audit_log WHERE event_type = 'compaction' AND session_id = ?", (C_COMPACT,))
    assert len(compactions) == 1 and compactions[0]["actor"] == "hook"


def check_flightdeck(path: Path, ledger: Path, project: Path) -> None:
    roster = {r["agent_id"]: r for r in s.rows(path, "SELECT * FROM agent_roster WHERE agent_id != 'agent-7f3a'")}
    sub = roster[SUBAGENT]
    assert sub["role"] == "general-purpose" and sub["team_id"] == "default"
    if "last_task_summary" in sub:
        assert sub["last_task_summary"] == "Write a file"
    if "status" in sub:  # every recorded session ended: nobody of ours is running
        assert {r["status"] for r in roster.values()} == {"terminated"}
    assert roster[f"main:{B_SUBAGENT}"]["role"] == "lead"
    assert all(ISO_Z.fullmatch(r["created_at"]) and ISO_Z.fullmatch(r["updated_at"]) for r in roster.values())
    acts = s.rows(path, "SELECT * FROM activity_log WHERE agent_id != 'agent-7f3a'")
    assert {a["action_type"] for a in acts} <= s.FLIGHTDECK_ACTION_TYPES
    assert all(ISO_Z.fullmatch(a["timestamp"]) for a in acts)
    kinds = {(a["agent_id"], a["action_type"]) for a in acts}
    assert {(SUBAGENT, "sub_agent_spawned"), (SUBAGENT, "task_completed"), (f"main:{A_BASIC}", "error")} <= kinds
    assert any(a["summary"] == "Spawned general-purpose: Write a file" for a in acts)
    edits = {(a["agent_id"], json.loads(a["details"])["file"]) for a in acts if a["action_type"] == "file_edit"}
    claims = {(c["agent_id"], c["file_path"]) for c in ledger_rows(ledger, "SELECT * FROM file_claims WHERE phase = 'done'")}
    assert edits == claims
    [err] = [a for a in acts if a["action_type"] == "error"
             and a["agent_id"] == f"main:{A_BASIC}" and "nonexistent-dir-xyz" in a["summary"]]
    assert json.loads(err["details"])["command"] == "ls /nonexistent-dir-xyz"
    # the session ended with the error still open: abandoned, a status change at that time
    [gave_up] = [a for a in acts if a["action_type"] == "status_change" and a["agent_id"] == f"main:{A_BASIC}"
                 and "nonexistent-dir-xyz" in a["summary"]]
    assert json.loads(gave_up["details"])["error_resolution"] == "abandoned"
    resolved_at = ledger_rows(ledger, "SELECT resolved_at FROM error_log WHERE command = 'ls /nonexistent-dir-xyz'")
    assert gave_up["timestamp"] == s.iso_z_at_ts(resolved_at[0]["resolved_at"])
    # every claim of the recorded sessions was released when its agent ended: no lock is ours,
    # and the other agent's live lock on sub.txt (which our subagent wrote) is still its own
    locks = s.rows(path, "SELECT * FROM file_locks")
    assert [r for r in locks if r["agent_id"] != "agent-7f3a"] == []


def check_codewalkers(path: Path, ledger: Path, project: Path) -> None:
    agents = {r["id"]: r for r in s.rows(path, "SELECT * FROM agents WHERE id != 'cw-agent-1'")}
    sub = agents[SUBAGENT]
    assert sub["status"] == "stopped" and sub["worktreeId"] == str(project) and sub["provider"] == "claude"
    assert sub["createdAt"] == int(parse_utc(ledger_rows(ledger, "SELECT spawn_time FROM agent_registry WHERE id = ?",
                                                         (SUBAGENT,))[0]["spawn_time"]))
    everyone = s.rows(path, "SELECT name FROM agents")
    assert len({a["name"] for a in everyone}) == len(everyone)
    # the SubagentStop that compaction fires (empty agent_type) is the summariser, not an agent
    [summariser] = ledger_rows(ledger, "SELECT DISTINCT agent_id FROM hook_events WHERE agent_id IS NOT NULL"
                                       " AND agent_id NOT IN (SELECT id FROM agent_registry)")
    assert summariser["agent_id"] not in agents
    assert {a["status"] for a in agents.values()} == {"stopped"}  # every recorded session ended
    chunks = s.rows(path, "SELECT * FROM agent_log_chunks WHERE agentId = ?", (SUBAGENT,))
    lines = [json.loads(c["content"]) for c in chunks]
    assert all(c["agentName"] == sub["name"] and c["sessionNumber"] == 1 for c in chunks)
    assert any(line.get("tool_name") == "Write" and line["type"] == "PostToolUse" for line in lines)
    n_events = ledger_rows(ledger, "SELECT count(*) AS n FROM hook_events")[0]["n"]
    assert s.rows(path, "SELECT count(*) AS n FROM agent_log_chunks WHERE id LIKE 'hl-chunk-%'"
                        " AND id NOT LIKE 'hl-chunk-snapshot-%'")[0]["n"] == n_events
    # session C was resumed: its later chunks count the resumes
    numbers = [c["sessionNumber"] for c in s.rows(path, "SELECT sessionNumber FROM agent_log_chunks WHERE agentId = ?"
                                                  " AND id NOT LIKE 'hl-chunk-snapshot-%' ORDER BY createdAt, rowid",
                                                  (f"main:{C_COMPACT}",))]
    resumes = [e for e in ledger_rows(ledger, "SELECT * FROM hook_events WHERE session_id = ? AND event_type ="
                                               " 'SessionStart'", (C_COMPACT,)) if payload(e).get("source") == "resume"]
    assert max(numbers) == 1 + len(resumes) and numbers == sorted(numbers)


def check_teamx(path: Path, ledger: Path, project: Path) -> None:
    ours = ledger_rows(ledger, "SELECT * FROM sessions")
    from hookledger.sync.teamx import runtime_session_id

    rts = [r for r in s.rows(path, "SELECT * FROM runtime_sessions WHERE adapter_kind = 'claude-code'")
           if r["id"] in {runtime_session_id(o["session_id"]) for o in ours}]
    assert len(rts) == len(ours) and all(r["status"] == "ended" and r["workspace_path"] == str(project) for r in rts)
    assert sorted(r["started_at"] for r in rts) == sorted(ms(o["started_at"]) for o in ours)
    events = ledger_rows(ledger, "SELECT * FROM hook_events ORDER BY id")
    theirs = s.rows(path, "SELECT * FROM events WHERE id LIKE 'hl-%' AND event_type NOT LIKE 'claude_code.file_%'")
    assert len(theirs) == len(events)
    assert sorted(e["created_at"] for e in theirs) == sorted(ms(e["timestamp"]) for e in events)
    assert all(isinstance(e["created_at"], int) and isinstance(e["id"], str) for e in theirs)
    # one tool call per finished tool use: its input and output as JSON, the tool's own duration
    calls = {c["created_at"]: c for c in s.rows(path, "SELECT * FROM tool_calls")}
    finished = [e for e in events if e["event_type"] in ("PostToolUse", "PostToolUseFailure")]
    assert len(calls) == len(finished)
    for e in finished:
        call, sent = calls[ms(e["timestamp"])], payload(e)
        assert call["tool_name"] == e["tool_name"] and json.loads(call["input_json"]) == sent["tool_input"]
        assert call["latency_ms"] == sent["duration_ms"]
        if e["event_type"] == "PostToolUseFailure":
            assert call["status"] == "error" and call["error"] == sent["error"] and call["output_json"] is None
        else:
            assert call["status"] == "success" and json.loads(call["output_json"]) == sent.get("tool_response")
    # every tool call hangs from its session's run, which carries the transcript's model and tokens
    runs = {r["id"]: r for r in s.rows(path, "SELECT * FROM runs")}
    assert {t["run_id"] for t in calls.values()} <= set(runs)
    [bash_error] = [t for t in calls.values() if t["status"] == "error" and t["tool_name"] == "Bash"]
    assert "nonexistent-dir-xyz" in bash_error["input_json"]
    a_run = runs[bash_error["run_id"]]
    tokens = ledger_rows(ledger, "SELECT model, sum(output_tokens) AS out FROM transcript_usage WHERE session_id = ?",
                         (A_BASIC,))[0]
    assert a_run["model"] == tokens["model"] and a_run["status"] == "success"
    # its cost: the transcript's responses, priced by the shipped table, to the micro-dollar
    priced = [message_cost(load(), r["model"], Usage(r["input_tokens"], r["output_tokens"], r["cache_creation_input_tokens"],
                                                     r["cache_creation_5m_tokens"], r["cache_creation_1h_tokens"],
                                                     r["cache_read_input_tokens"]), r["timestamp"])
              for r in ledger_rows(ledger, "SELECT * FROM transcript_usage WHERE session_id = ?", (A_BASIC,))]
    assert Decimal(a_run["cost_usd"]) == sum(priced).quantize(Decimal("0.000001")) > 0
    if "budget_ledger_entries" in s.table_counts(path):  # the ended session's spend, ledgered once
        [spend] = s.rows(path, "SELECT * FROM budget_ledger_entries WHERE run_id = ?", (a_run["id"],))
        assert (spend["amount_usd"], spend["scope_kind"], spend["run_kind"]) == (a_run["cost_usd"], "employee", "agentic")
    if "completion_tokens" in a_run:
        assert a_run["completion_tokens"] == tokens["out"]
    assert {r["session_id"] for r in s.rows(path, "SELECT session_id FROM runtime_heartbeats")} <= {r["id"] for r in rts}
    active = s.rows(path, "SELECT ticket_id, count(*) AS n FROM ticket_checkouts WHERE status = 'active' GROUP BY ticket_id")
    assert all(r["n"] == 1 for r in active)


CHECKS = {"massu": check_massu, "flightdeck": check_flightdeck, "codewalkers": check_codewalkers, "teamx": check_teamx}


# ---------------------------------------------------------------- tasks (e_tasks)


def test_tasks_from_e_tasks_reach_the_targets(replayed, tmp_path):
    project, ledger = replayed
    tasks = ledger_rows(ledger, "SELECT * FROM tasks")
    [report] = [t for t in tasks if t["subject"] == "Write the report"]
    massu = s.make_target(tmp_path / "massu.db", "seed_massu.sql")
    sync_cli("massu", massu, project)
    progress = [json.loads(r["plan_progress"]) for r in s.rows(
        massu, "SELECT plan_progress FROM session_summaries WHERE session_id = ?", (report["session_id"],))]
    assert any(p.get(report["task_id"]) == report["status"] for p in progress)
    fd = s.make_target(tmp_path / "fd.db", "seed_flightdeck.sql")
    sync_cli("flightdeck", fd, project)
    if report["status"] == "completed":
        done = s.rows(fd, "SELECT summary FROM activity_log WHERE action_type = 'task_completed'")
        assert any("Write the report" in d["summary"] for d in done)
    teamx = s.make_target(tmp_path / "tx.db", "seed_teamx.sql")
    conn = s.open_target(teamx)
    conn.execute("INSERT INTO companies (id, name, slug, created_at) VALUES ('c1', 'Acme', 'acme', 1)")
    conn.execute("INSERT INTO tickets (id, company_id, title, reporter_id, created_at, updated_at)"
                 " VALUES ('t1', 'c1', 'Write the report', 'u1', 1, 1)")
    conn.commit()
    conn.close()
    sync_cli("teamx", teamx, project)
    [checkout] = s.rows(teamx, "SELECT * FROM ticket_checkouts WHERE ticket_id = 't1'")
    assert checkout["status"] == ("completed" if report["status"] == "completed" else checkout["status"])
    s.check_constraints(teamx)
