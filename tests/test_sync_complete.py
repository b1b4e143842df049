"""Issue 17: every seed table the ledger can fill, snapshots in every target, the wrong values fixed.

The ledger is recorded by the real hook executables from a scripted session: the recorded team
session (demo f_team) with `claims.policy: deny` (the tester's Edit of the parser the writer
holds is denied), the failing test run repeated to five attempts inside a few seconds (research
at the 3rd, the user at the 5th), a third subagent whose Agent call failed, the tester left
silent until it is marked stale, the task gate blocking the task's completion, a compaction,
two prompts (the first over 80 characters) and a SessionEnd; plus the other recorded sessions.
Each target is synced empty, as its seed document defines it, and pre-populated by its own
system; values are checked against the ledger; a second sync adds nothing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import sync_support as s
from hookledger.hotpath.timeutil import parse_utc

TEAM = "7c1e5b2a-9d40-4f6e-8a3b-2f5d0c9e1a77"
WRITER, TESTER, FAILED = "a3f9c2e81b7d40c55", "b81d2e6c4f0a93e17", "c4e5f6a7b8c9d0e1f"
VARIANTS = ("created", "seed", "populated")
CONFIG = {"gate": {"mode": "checks", "commands": ["python3 -m unittest -q tests.test_parser"], "timeout_seconds": 60},
          "claims": {"policy": "deny"}, "agents": {"stale_seconds": 1}}


def _script(sessions: dict[str, str]) -> list[dict[str, Any]]:
    """f_team's recorded calls, changed as the module docstring says."""
    lines = [json.loads(x) for x in Path(sessions["f_team"]).read_text().splitlines() if x.strip()]
    end = next(json.loads(x) for x in Path(sessions["a_basic"]).read_text().splitlines() if '"SessionEnd"' in x)
    end = json.loads(json.dumps(end).replace(end["stdin"]["session_id"], TEAM))

    def copy(i: int, **stdin: Any) -> dict[str, Any]:
        call = json.loads(json.dumps(lines[i]))
        call["stdin"].update(stdin)
        return call

    retries = [copy(i, tool_use_id=f"toolu_01f7a3c9e2b5d800{n}") for n in (3, 4) for i in (15, 16, 17)]
    spawn = lines[2]["stdin"]["tool_input"]
    failed_input = {**spawn, "description": "Benchmark the parser", "prompt": "[[agent:bench]] Time parse() on 1 MB."}
    failed = [copy(2, tool_use_id="toolu_fail0000000001", tool_input=failed_input),
              copy(3, agent_id=FAILED),
              copy(25, tool_use_id="toolu_fail0000000001", tool_input=failed_input,
                   tool_response={**lines[25]["stdin"]["tool_response"], "status": "failed", "agentId": FAILED})]
    # 13-14: the Edit the deny policy refuses never ran
    return lines[:13] + lines[15:24] + retries + failed + lines[24:] + [{"pause": 1.2}, copy(38), end]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, Path]:
    """(project, ledger): the recorded sessions, then the scripted one, through the real hooks."""
    from hookledger.faces import install
    from hookledger.faces.demo import hooks_dir_for_demo, run
    from hookledger.faces.replay import HookCall, demo_sessions, run_call, stage_project, stage_transcripts

    project = tmp_path_factory.mktemp("complete") / "acme-app"
    demo = run(["a_basic", "c_compact", "e_tasks"], project=str(project))
    hooks = hooks_dir_for_demo(str(project))
    install.apply(str(project), sys.executable, hooks)
    home = str(project / ".home")
    stage_transcripts("f_team", home, str(project))
    stage_project("f_team", str(project))
    (project / ".claude" / "hookledger.json").write_text(json.dumps(CONFIG))
    text = json.dumps(_script(demo_sessions())).replace("/home/dev/acme-app", str(project)).replace("/home/dev/", home + "/")
    for call in json.loads(text):
        if "pause" in call:
            time.sleep(call["pause"])  # the tester stays silent past agents.stale_seconds
            continue
        result = run_call(HookCall(call["event"], call["stdin"], call.get("env", {})), hooks, str(project),
                          extra_env={"HOOKLEDGER_DB": demo.db})
        assert result.exit_code in (0, 2), result.stderr
    return project, Path(demo.db)


def ledger(db: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    return s.rows(db, sql, params)


def test_the_script_recorded_what_the_targets_need(recorded):
    _, db = recorded
    errors = ledger(db, "SELECT attempt_number, escalation FROM error_log WHERE session_id = ? ORDER BY id", (TEAM,))
    assert [(e["attempt_number"], e["escalation"]) for e in errors] == [
        (1, None), (2, None), (3, "escalated_research"), (4, "escalated_research"), (5, "escalated_user")]
    agents = {a["id"]: a["status"] for a in ledger(db, "SELECT * FROM agent_registry WHERE session_id = ?", (TEAM,))}
    assert agents == {f"main:{TEAM}": "completed", WRITER: "completed", TESTER: "aborted_stale", FAILED: "failed"}
    assert ledger(db, "SELECT answer FROM claim_conflicts WHERE session_id = ?", (TEAM,)) == [{"answer": "deny"}]
    assert {v["decision"] for v in ledger(db, "SELECT decision FROM llm_verdicts WHERE session_id = ?", (TEAM,))} == {"block"}


def _target(target: str, variant: str, path: Path) -> Path:
    if variant == "created":
        return path
    if variant == "seed":
        return s.make_target(path, f"seed_{target}.sql")
    if target == "flightdeck":
        return s.flightdeck_target(path, contested="other.txt", expired="hello.txt", glob="vendor/*")
    return s.make_target(path, f"{target}_populated.sql", TAKEN_ALIAS="calm-otter")


def _sync(target: str, db: Path, path: Path, project: Path):
    from hookledger.sync import sync

    return sync(target, str(db), str(path), project_dir=str(project))


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("target", ("massu", "flightdeck", "codewalkers", "teamx"))
def test_every_table_filled_with_the_ledgers_values(recorded, tmp_path, target, variant):
    project, db = recorded
    path = _target(target, variant, tmp_path / f"{target}.db")
    before = s.dump(path) if path.exists() else {}
    _sync(target, db, path, project)
    s.check_constraints(path)
    CHECKS[target](path, db)
    after = s.dump(path)
    for table, rows in before.items():  # their rows: still there, unchanged
        assert set(rows) <= set(after[table]), table
    again = _sync(target, db, path, project)
    assert again.inserted == {} and again.updated == {}, again.as_dict()
    assert s.dump(path) == after


def _prompts(db: Path) -> list[str]:
    return [p["text"] for p in ledger(db, "SELECT text FROM prompts WHERE session_id = ? ORDER BY created_at", (TEAM,))]


def check_massu(path: Path, db: Path) -> None:
    obs = s.rows(path, "SELECT * FROM observations WHERE session_id = ?", (TEAM,))
    text = lambda o: o.get("description") or o.get("detail") or ""  # noqa: E731
    runs = sorted((o for o in obs if "unittest" in o["title"] and o["type"] == "vr_check"), key=lambda o: o["title"])
    # one observation per failed attempt, though all five fell within a few seconds
    assert [o["importance"] for o in runs] == [3, 3, 4, 4, 5]
    assert runs[-1]["title"].endswith("(attempt 5, escalated to the user)") and runs[-1]["vr_type"] == "test"
    assert runs[-1]["plan_item"] is None  # the task was created after the tests failed
    near = {o["title"]: o for o in obs if o["type"] == "incident_near_miss"}
    assert f"Subagent {FAILED} (general-purpose) failed" in near
    assert f"Subagent {TESTER} (general-purpose) aborted_stale" in near
    delegated = [o["title"] for o in obs if o["type"] == "decision"]
    assert f"Delegated to general-purpose agent {FAILED}: Benchmark the parser" in delegated and len(delegated) == 3
    first, second = _prompts(db)
    assert len(first) > 80 and [p["prompt_text"] for p in s.rows(
        path, "SELECT * FROM user_prompts WHERE session_id = ? ORDER BY prompt_number", (TEAM,))] == [first, second]
    summaries = s.rows(path, "SELECT * FROM session_summaries WHERE session_id = ?", (TEAM,))
    assert summaries and all(r["request"] == first for r in summaries)  # the text, not "<172 chars>"
    turns = s.rows(path, "SELECT * FROM conversation_turns WHERE session_id = ? ORDER BY turn_number", (TEAM,))
    starts = [p["created_at"] for p in ledger(db, "SELECT created_at FROM prompts WHERE session_id = ? ORDER BY created_at", (TEAM,))]
    calls = ledger(db, "SELECT count(*) AS n FROM hook_events WHERE session_id = ? AND event_type IN"
                       " ('PostToolUse', 'PostToolUseFailure') AND timestamp >= ? AND timestamp < ?", (TEAM, *starts))
    assert [t["turn_number"] for t in turns] == [1, 2] and turns[0]["tool_call_count"] == calls[0]["n"] > 0
    assert turns[0]["user_prompt"] == first and "Bash" in {c["tool"] for c in json.loads(turns[0]["tool_calls_summary"])}
    assert turns[0]["assistant_response"] == "The parser is written; its tests still fail on empty input."
    rules = s.rows(path, "SELECT * FROM audit_log WHERE session_id = ? AND event_type = 'rule_enforced'", (TEAM,))
    assert {(r["actor"], r["approval_status"]) for r in rules} == {("hook", "denied")} and len(rules) == 2
    assert any((r["file_path"] or "").endswith("src/parser.py") for r in rules)  # the denied claim
    [session] = s.rows(path, "SELECT * FROM sessions WHERE session_id = ?", (TEAM,))
    assert session["task_id"] == "1" and session["status"] == "completed"
    # the branch a session started on, as its transcript says (f_team ships no transcript)
    a = ledger(db, "SELECT session_id, transcript_path FROM sessions WHERE session_id = 'ebf09a36-f40b-44e4-9ed7-9d1599a096ce'")
    lines = [json.loads(x) for x in Path(a[0]["transcript_path"]).read_text().splitlines() if x.strip()]
    branch = next(x["gitBranch"] for x in lines if x.get("gitBranch"))
    mine = s.rows(path, "SELECT * FROM sessions WHERE session_id = ?", (a[0]["session_id"],))[0]
    if "project" not in mine:  # the populated memory.db holds Massu's own row for that session: left alone
        assert mine["branch"] == branch and session["branch"] is None


def check_flightdeck(path: Path, db: Path) -> None:
    lead = f"main:{TEAM}"
    [task] = s.rows(path, "SELECT * FROM dag_tasks WHERE lead_id = ?", (lead,))
    assert (task["id"], task["title"], task["dag_status"], task["assigned_agent_id"]) == ("1", "Ship the config parser",
                                                                                          "running", lead)
    assert "blocked by the gate" in task["failure_reason"]
    delegations = {d["agent_id"]: d for d in s.rows(path, "SELECT * FROM active_delegations WHERE agent_id IN (?, ?, ?)",
                                                    (WRITER, TESTER, FAILED))}
    assert delegations[FAILED]["task"] == "Benchmark the parser"
    if "status" in delegations[FAILED]:
        assert [delegations[a]["status"] for a in (WRITER, TESTER, FAILED)] == ["completed", "failed", "failed"]
    if "completed_at" in delegations[FAILED]:  # columns the populated server's table lacks are not written
        assert delegations[FAILED]["completed_at"] and delegations[TESTER]["completed_at"]
        assert delegations[WRITER]["context"].startswith("[[agent:writer]]")
    history = {(h["agent_id"], h["file_path"]) for h in s.rows(path, "SELECT * FROM agent_file_history WHERE lead_id = ?", (lead,))}
    done = {(c["agent_id"], c["file_path"]) for c in ledger(db, "SELECT * FROM file_claims WHERE session_id = ? AND phase = 'done'", (TEAM,))}
    assert history == done and (TESTER, "src/parser.py") not in history  # the denied Edit changed nothing
    retros = s.rows(path, "SELECT * FROM session_retros WHERE lead_id = ?", (lead,))
    assert retros
    if "data" in retros[0]:
        assert {json.loads(r["data"])["kind"] for r in retros} == {"pre_compact", "post_compact", "session_end"}
    [talk] = s.rows(path, "SELECT * FROM conversations WHERE agent_id = ?", (lead,))
    said = s.rows(path, "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (talk["id"],))
    assert [m["content"] for m in said if m["sender"] == "user"] == _prompts(db) and talk["task_id"] == "1"
    assert "The parser is written; its tests still fail on empty input." in [m["content"] for m in said]
    [project] = s.rows(path, "SELECT * FROM projects WHERE id = 'acme-app'")
    sessions = s.rows(path, "SELECT * FROM project_sessions WHERE project_id = ?", (project["id"],))
    assert len(sessions) == len(ledger(db, "SELECT session_id FROM sessions"))
    assert _prompts(db)[0] in {p["task"] for p in sessions}


def check_codewalkers(path: Path, db: Path) -> None:
    from hookledger.sync.codewalkers import task_ref

    [task] = s.rows(path, "SELECT * FROM tasks WHERE id = ?", (task_ref(TEAM, "1"),))
    assert (task["name"], task["status"], task.get("type", "auto")) == ("Ship the config parser", "in_progress", "auto")
    agents = {a["id"]: a for a in s.rows(path, "SELECT * FROM agents WHERE sessionId = ?", (TEAM,))}
    assert agents[f"main:{TEAM}"]["taskId"] == task["id"]
    assert {agents[a]["status"] for a in (TESTER, FAILED)} == {"crashed"} and agents[WRITER]["status"] == "stopped"
    pid = ledger(db, "SELECT claude_pid FROM sessions WHERE session_id = ?", (TEAM,))[0]["claude_pid"]
    assert pid and all(a["pid"] == pid for a in agents.values())
    assert agents[WRITER]["outputFilePath"].endswith(f"agent-{WRITER}.jsonl")
    assert agents[WRITER]["result"].startswith("Parser written: src/parser.py")
    talks = {c["toAgentId"]: c for c in s.rows(path, "SELECT * FROM conversations WHERE fromAgentId = ?", (f"main:{TEAM}",))}
    assert set(talks) == {WRITER, TESTER, FAILED}
    assert talks[FAILED]["question"] == "[[agent:bench]] Time parse() on 1 MB." and talks[FAILED]["status"] == "answered"
    assert talks[WRITER]["answer"].startswith("Parser written") and talks[WRITER]["status"] == "answered"
    snaps = [json.loads(c["content"]) for c in s.rows(path, "SELECT content FROM agent_log_chunks WHERE agentId = ?"
                                                      " AND id LIKE 'hl-chunk-snapshot-%'", (f"main:{TEAM}",))]
    assert sorted(x["snapshot_type"] for x in snaps) == ["post_compact", "pre_compact", "session_end"]


def check_teamx(path: Path, db: Path) -> None:
    from hookledger.sync.teamx import run_id, runtime_session_id, thread_id

    [ticket] = s.rows(path, "SELECT * FROM tickets WHERE title = 'Ship the config parser' AND id LIKE 'hl-ticket-%'")
    assert ticket["status"] == "in-progress" and ticket.get("thread_id", thread_id(TEAM)) == thread_id(TEAM)
    [item] = s.rows(path, "SELECT * FROM approval_items WHERE subject_ref_id = ?", (ticket["id"],))
    assert (item["kind"], item["status"], item["subject_ref_kind"]) == ("deliverable-review", "denied", "deliverable")
    [decision] = s.rows(path, "SELECT * FROM approval_decisions WHERE approval_ref_id = ?", (item["id"],))
    reason = ledger(db, "SELECT reason FROM llm_verdicts WHERE session_id = ?", (TEAM,))[0]["reason"]
    assert decision["decision"] == "denied" and decision["rationale"] == reason
    kinds = sorted(c["checkpoint_kind"] for c in s.rows(path, "SELECT * FROM run_checkpoints WHERE thread_id = ?", (thread_id(TEAM),)))
    assert kinds == ["manual", "manual", "stopped"]  # two compactions' snapshots, the end with a task open
    [digest] = s.rows(path, "SELECT * FROM thread_digests WHERE thread_id = ?", (thread_id(TEAM),))
    assert digest["freshness"] == "fresh" and "Ship the config parser" in digest["summary"]
    [session] = ledger(db, "SELECT * FROM sessions WHERE session_id = ?", (TEAM,))
    [rts] = s.rows(path, "SELECT * FROM runtime_sessions WHERE id = ?", (runtime_session_id(TEAM),))
    assert rts["current_run_id"] == run_id(TEAM) and rts["pid"] == session["claude_pid"]
    # its task is still in progress, but the session ended: the checkout expired, no current ticket
    assert rts["current_ticket_id"] is None
    [checkout] = s.rows(path, "SELECT * FROM ticket_checkouts WHERE ticket_id = ?", (ticket["id"],))
    assert checkout["status"] == "expired" and checkout["runtime_session_id"] == rts["id"]
    [run] = s.rows(path, "SELECT * FROM runs WHERE id = ?", (run_id(TEAM),))
    if "latency_ms" in run:  # the populated Team-X's runs table has no such column
        assert run["latency_ms"] == round((parse_utc(session["ended_at"]) - parse_utc(session["started_at"])) * 1000)
    subs = {json.loads(r["capabilities_json"])["subagent"]: r["status"]
            for r in s.rows(path, "SELECT * FROM runtime_sessions WHERE current_run_id = ? AND id != ?",
                            (run_id(TEAM), runtime_session_id(TEAM)))}
    assert subs == {WRITER: "ended", TESTER: "stale", FAILED: "failed"}
    messages = [m["content"] for m in s.rows(path, "SELECT * FROM messages WHERE thread_id = ? AND author_kind = 'user'"
                                             " ORDER BY created_at", (thread_id(TEAM),))]
    assert messages == _prompts(db)
    edges = s.rows(path, "SELECT * FROM org_edges WHERE manager_id = ?", (rts["employee_id"],))
    assert [e["report_id"] for e in edges] == [s.rows(path, "SELECT id FROM employees WHERE name = 'Claude Code general-purpose'")[0]["id"]]
    assert digest["last_summarized_message_id"] in {m["id"] for m in s.rows(path, "SELECT id FROM messages WHERE thread_id = ?",
                                                                              (thread_id(TEAM),))}
    members = s.rows(path, "SELECT * FROM thread_members WHERE thread_id = ?", (thread_id(TEAM),))
    assert [(m["member_id"], m["member_kind"]) for m in members] == [(rts["employee_id"], "employee")]
    claims = s.rows(path, "SELECT * FROM events WHERE event_type = 'claude_code.file_claimed'")
    assert any(json.loads(c["payload_json"])["agent_id"] == WRITER for c in claims)


CHECKS = {"massu": check_massu, "flightdeck": check_flightdeck, "codewalkers": check_codewalkers, "teamx": check_teamx}


def test_a_drifted_table_without_its_key_columns_is_never_overwritten(recorded, tmp_path):
    """A target table that lost part of a natural key (user_prompts.prompt_number,
    project_sessions.started_at) cannot tell its rows apart by it: each prompt or session is
    added once, none overwrites another, and a second sync adds nothing."""
    project, db = recorded
    massu = tmp_path / "memory.db"
    conn = s.open_target(massu)
    conn.executescript((s.FOREIGN / "seed_massu.sql").read_text().replace('    "prompt_number" INTEGER,\n', ""))
    conn.close()
    fd = tmp_path / "fd.db"
    conn = s.open_target(fd)
    conn.executescript((s.FOREIGN / "seed_flightdeck.sql").read_text().replace(
        '''    "task" TEXT,\n    "started_at" TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))\n''', '''    "task" TEXT\n'''))
    conn.close()
    for path, table, gone in ((massu, "user_prompts", "prompt_number"), (fd, "project_sessions", "started_at")):
        assert gone not in {c["name"] for c in s.rows(path, f"PRAGMA table_info({table})")}
    for target, path in (("massu", massu), ("flightdeck", fd)):
        _sync(target, db, path, project)
        again = _sync(target, db, path, project)
        assert again.inserted == {} and again.updated == {}, (target, again.as_dict())
        s.check_constraints(path)
    texts = [r["prompt_text"] for r in s.rows(massu, "SELECT prompt_text FROM user_prompts WHERE session_id = ?", (TEAM,))]
    assert texts == _prompts(db)
    tasks = [r["task"] for r in s.rows(fd, "SELECT task FROM project_sessions")]
    assert len(tasks) == len(ledger(db, "SELECT session_id FROM sessions")) and _prompts(db)[0] in tasks
