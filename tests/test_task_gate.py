"""The TaskCompleted gate through the real hook, under each mode: observe (the default),
checks (real tiny scripts: pass, fail, hang past gate.timeout_seconds, missing program),
judge (standing verdicts, a judge hook's verdict on the attempt, a prompt hook's outcome),
and the loop guard. Checked: exit code, stdout (always empty), stderr, and the rows."""

from __future__ import annotations

import json
import sys
import time

from click.testing import CliRunner

from conftest import load_fixture, rows, run_hook

from hookledger.faces.cli import cli

SID = "f06b0d73-3e1f-4bfb-bacf-40fd0a7e02cf"
PY = sys.executable


def gate(project, **settings) -> None:
    (project / ".claude").mkdir(exist_ok=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"gate": settings}))


def start_task(project, task_id="1"):
    payload = load_fixture("TaskCreated__default", project)
    payload["task_id"] = task_id
    assert run_hook("TaskCreated", payload, project).returncode == 0
    set_status(project, task_id, "in_progress", "pending")


def set_status(project, task_id, to, frm):
    payload = load_fixture("PostToolUse__TaskUpdate", project)
    payload.update(tool_input={"taskId": task_id, "status": to}, tool_use_id=f"toolu_{task_id}_{to}_{time.time_ns()}",
                   tool_response={"success": True, "taskId": task_id, "updatedFields": ["status"],
                                  "statusChange": {"from": frm, "to": to}})
    assert run_hook("PostToolUse", payload, project).returncode == 0


def refused(project, task_id, feedback):
    payload = load_fixture("PostToolUse__TaskUpdate", project)
    payload.update(tool_input={"taskId": task_id, "status": "completed"}, tool_use_id=f"toolu_r{time.time_ns()}",
                   tool_response={"success": False, "taskId": task_id, "updatedFields": [],
                                  "error": "TaskCompleted hook feedback:\n" + feedback})
    assert run_hook("PostToolUse", payload, project).returncode == 0


def complete(project, task_id="1", timeout=30):
    payload = load_fixture("TaskCompleted__default", project)
    payload["task_id"] = task_id
    proc = run_hook("TaskCompleted", payload, project, timeout=timeout)
    assert proc.stdout == b"", "TaskCompleted has no JSON output: stdout stays empty"
    return proc


def verdicts(project, where="1 = 1"):
    found = rows(project, f"SELECT * FROM llm_verdicts WHERE {where} ORDER BY id")
    for v in found:
        v["verdict"] = json.loads(v["verdict_json"])
    return found


def task(project, task_id="1"):
    return rows(project, "SELECT * FROM tasks WHERE task_id = ?", (task_id,))[0]


def record_verdict(project, *args, env=None):
    result = CliRunner().invoke(cli, ["verdict", "record", *args], env=env or {"CLAUDE_PROJECT_DIR": str(project)})
    assert result.exit_code == 0, result.output
    return result.output


# ---------------------------------------------------------------- observe


def test_observe_is_the_default_records_and_always_allows(project):
    start_task(project)
    proc = complete(project)
    assert (proc.returncode, proc.stderr) == (0, b"")
    [v] = verdicts(project)
    assert (v["hook_event"], v["source"], v["decision"], v["task_id"], v["session_id"]) == \
        ("TaskCompleted", "observe", "allow", "1", SID)
    assert v["verdict"]["task"] == {"id": "1", "subject": "Write the report", "status_before": "in_progress",
                                    "agent_id": f"main:{SID}", "teammate": None}
    assert (task(project)["status"], rows(project, "SELECT outcome FROM hook_events WHERE event_type = 'TaskCompleted'")) == \
        ("completed", [{"outcome": "ok"}])


def test_unknown_mode_falls_back_to_observe(project):
    gate(project, mode="strict", commands=["false"])
    start_task(project)
    assert complete(project).returncode == 0
    [v] = verdicts(project)
    assert v["source"] == "observe" and v["verdict"]["config_notes"] == \
        ['gate.mode = "strict" is not one of observe, checks, judge: default "observe" used']


# ---------------------------------------------------------------- checks


def test_checks_pass(project):
    gate(project, mode="checks", commands=[f"{PY} -c 'print(\"3 passed\")'", "sh -c 'exit 0'"])
    start_task(project)
    proc = complete(project)
    assert (proc.returncode, proc.stderr) == (0, b"")
    [v] = verdicts(project)
    assert (v["source"], v["decision"]) == ("checks", "allow")
    assert [r["status"] for r in v["verdict"]["checks"]["results"]] == ["passed", "passed"]
    assert v["verdict"]["checks"]["source"] == "config" and v["verdict"]["checks"]["results"][0]["tail"] == ["3 passed"]
    assert task(project)["status"] == "completed"


def test_failing_check_blocks_with_what_failed(project):
    (project / "check.sh").write_text("echo 'collected 4 items'\necho 'FAILED tests/test_report.py::test_totals - assert 3 == 4'\n"
                                      "echo '1 failed, 3 passed in 0.20s'\nexit 1\n")
    gate(project, mode="checks", commands=["sh check.sh", "true"])
    start_task(project)
    proc = complete(project)
    assert proc.returncode == 2
    stderr = proc.stderr.decode()
    assert stderr.startswith('hookledger quality gate: task 1 "Write the report" stays open: 1 of 2 check(s) did not pass.')
    assert "`sh check.sh` failed (exit 1" in stderr and "FAILED tests/test_report.py::test_totals - assert 3 == 4" in stderr
    assert "`true` passed" in stderr and len(stderr) < 4000
    [v] = verdicts(project)
    assert (v["decision"], v["verdict"]["loop_guard"]) == ("block", {"max_blocks": 3, "consecutive_blocks": 0, "overrode": False})
    assert "`sh check.sh` failed (exit 1" in v["reason"]
    t = task(project)
    assert (t["status"], t["completed_at"]) == ("in_progress", None)
    assert t["status_reason"].startswith("completion blocked by the gate (checks): ")
    [event] = rows(project, "SELECT exit_code, outcome FROM hook_events WHERE event_type = 'TaskCompleted'")
    assert event == {"exit_code": 2, "outcome": "blocked"}


def test_checks_cycle_as_claude_code_runs_it(project):
    """Blocked, the feedback comes back as the TaskUpdate error (it is ours: no second verdict),
    the model fixes the code, the next completion passes and the TaskUpdate succeeds."""
    (project / "check.sh").write_text("test -f report.txt || { echo 'report.txt is missing'; exit 1; }\n")
    gate(project, mode="checks", commands=["sh check.sh"])
    start_task(project)
    blocked = complete(project)
    assert blocked.returncode == 2 and "report.txt is missing" in blocked.stderr.decode()
    refused(project, "1", "[/usr/bin/python3 ~/.local/share/hookledger/hooks/task_completed.py # hookledger]: "
            + blocked.stderr.decode())
    assert task(project)["status"] == "in_progress"
    assert task(project)["status_reason"].startswith("completion blocked by the gate (checks): `sh check.sh` failed")
    (project / "report.txt").write_text("totals: 7\n")
    assert complete(project).returncode == 0
    set_status(project, "1", "completed", "in_progress")
    assert [(v["hook_event"], v["decision"]) for v in verdicts(project)] == [("TaskCompleted", "block"), ("TaskCompleted", "allow")]
    done = task(project)
    assert (done["status"], done["status_reason"]) == ("completed", None)


def test_check_hanging_past_the_limit_is_stopped_and_blocks(project):
    (project / "hang.sh").write_text("echo 'starting the suite'\nsleep 60\n")
    gate(project, mode="checks", commands=["sh hang.sh", "true"], timeout_seconds=1)
    start_task(project)
    started = time.monotonic()
    proc = complete(project)
    assert time.monotonic() - started < 10
    assert proc.returncode == 2
    stderr = proc.stderr.decode()
    assert "`sh hang.sh` did not finish within the gate's 1 s (gate.timeout_seconds) and was stopped" in stderr
    assert "starting the suite" in stderr and "`true` was not run: the gate's 1 s were spent" in stderr
    [v] = verdicts(project)
    assert [r["status"] for r in v["verdict"]["checks"]["results"]] == ["timeout", "skipped"]


def test_missing_program_is_recorded_not_blocking(project):
    gate(project, mode="checks", commands=["hookledger-no-such-linter --strict", "sh -c 'no-such-tool-either'"])
    start_task(project)
    proc = complete(project)
    assert (proc.returncode, proc.stderr) == (0, b"")
    [v] = verdicts(project)
    assert v["decision"] == "allow" and [r["status"] for r in v["verdict"]["checks"]["results"]] == ["missing", "missing"]
    assert "`hookledger-no-such-linter --strict` could not run: program not found" in v["reason"]


def test_checks_detected_in_project_state(project):
    (project / "Makefile").write_text("test:\n\t@echo 'make: the build is red'; exit 1\n")
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    assert rows(project, "SELECT value FROM project_state WHERE key = 'test_command'") == [{"value": '"make test"'}]
    gate(project, mode="checks")
    start_task(project)
    proc = complete(project)
    assert proc.returncode == 2 and "`make test` failed" in proc.stderr.decode()
    assert "the build is red" in proc.stderr.decode()
    assert verdicts(project)[0]["verdict"]["checks"]["source"] == "project_state"


def test_checks_with_nothing_to_run_allow(project):
    gate(project, mode="checks")
    start_task(project)
    assert complete(project).returncode == 0
    [v] = verdicts(project)
    assert v["decision"] == "allow" and v["reason"].startswith("no checks to run")


# ---------------------------------------------------------------- loop guard


def test_loop_guard_allows_after_max_blocks_then_counts_afresh(project):
    gate(project, mode="checks", commands=["false"], max_blocks=2)
    start_task(project)
    assert [complete(project).returncode for _ in range(3)] == [2, 2, 0]
    found = verdicts(project)
    assert [v["decision"] for v in found] == ["block", "block", "allow"]
    assert found[2]["reason"].startswith("loop guard: allowed after 2 consecutive block(s) of this task (gate.max_blocks = 2)")
    assert found[2]["verdict"]["loop_guard"] == {"max_blocks": 2, "consecutive_blocks": 2, "overrode": True}
    assert task(project)["status"] == "completed"
    set_status(project, "1", "in_progress", "completed")  # reopened: the guard counts from its last allow
    assert complete(project).returncode == 2
    start_task(project, "2")  # and per task
    assert complete(project, "2").returncode == 2


def test_blocks_by_other_hooks_do_not_count(project):
    gate(project, mode="checks", commands=["true"], max_blocks=1)
    start_task(project)
    assert complete(project).returncode == 0
    refused(project, "1", "[./other-gate.sh]: not yet")
    assert task(project)["status"] == "in_progress"
    gate(project, mode="checks", commands=["false"], max_blocks=1)
    assert complete(project).returncode == 2  # the guard has seen no block of its own yet


def test_max_blocks_zero_never_blocks(project):
    gate(project, mode="checks", commands=["false"], max_blocks=0)
    start_task(project)
    assert complete(project).returncode == 0
    assert verdicts(project)[0]["reason"].startswith("loop guard: allowed after 0 consecutive block(s)")


# ---------------------------------------------------------------- judge


def test_judge_standing_verdict_is_applied_once(project):
    gate(project, mode="judge")
    start_task(project)
    out = record_verdict(project, "--session", SID, "--task", "1", "--judge", "ci", '{"ok": false, "reason": "the totals are missing"}')
    assert "for the task's next completion" in out and "note" not in out
    proc = complete(project)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == \
        'hookledger quality gate: task 1 "Write the report" stays open: the judge (ci) did not accept it: the totals are missing'
    assert complete(project).returncode == 0  # no new verdict: the next attempt goes through
    standing, blocked, allowed = verdicts(project)
    assert (standing["hook_event"], standing["source"]) == ("judge", "judge:ci")
    assert (blocked["source"], blocked["decision"], blocked["reason"]) == ("judge", "block", "judge ci blocked it: the totals are missing")
    assert blocked["verdict"]["judge"]["verdict_id"] == standing["id"]
    assert allowed["decision"] == "allow" and "no verdict was waiting" in allowed["reason"]


def test_judge_allow_verdict(project):
    gate(project, mode="judge")
    start_task(project)
    record_verdict(project, "--session", SID, "--task", "1", '{"decision": "approve", "reason": "looks complete"}')
    assert complete(project).returncode == 0
    assert verdicts(project)[-1]["reason"] == "judge external allowed it: looks complete"


def test_agent_hook_verdict_is_recorded_against_the_attempt_in_progress(project):
    """An agent hook judges beside the gate and records its answer while the attempt is open;
    Claude Code enforces the agent's answer (the TaskUpdate result then shows its feedback)."""
    gate(project, mode="judge")
    start_task(project)
    assert complete(project).returncode == 0
    out = record_verdict(project, '{"ok": false, "reason": "report.txt is empty"}', "--judge", "agent-hook",
                         env={"CLAUDE_PROJECT_DIR": str(project), "CLAUDE_CODE_SESSION_ID": SID})
    assert "for task 1 (session f06b0d73) on the completion in progress" in out
    refused(project, "1", "[agent hook]: report.txt is empty")
    gate_row, judged, outcome = verdicts(project)
    assert (judged["hook_event"], judged["source"], judged["verdict"]["attempt"]) == \
        ("TaskCompleted", "judge:agent-hook", gate_row["id"])
    assert (outcome["hook_event"], outcome["decision"], outcome["verdict"]["attempt"]) == ("TaskUpdate", "block", gate_row["id"])
    assert task(project)["status"] == "in_progress"
    assert complete(project).returncode == 0  # the attempt's verdict is not carried to the next one
    assert "no verdict was waiting" in verdicts(project)[-1]["reason"]


def test_prompt_hook_that_let_it_through_is_recorded(project):
    gate(project, mode="judge")
    start_task(project)
    assert complete(project).returncode == 0
    set_status(project, "1", "completed", "in_progress")
    gate_row, outcome = verdicts(project)
    assert (outcome["hook_event"], outcome["source"], outcome["decision"]) == ("TaskUpdate", "hooks", "allow")
    assert outcome["verdict"] == {"attempt": gate_row["id"], "gate_decision": "allow"}


# ---------------------------------------------------------------- robustness


def test_bad_task_completed_input_exits_0_with_one_line(project):
    payload = load_fixture("TaskCompleted__default", project)
    payload["task_id"] = {"id": 1}
    gate(project, mode="checks", commands=["false"])
    proc = run_hook("TaskCompleted", payload, project)
    assert (proc.returncode, proc.stdout, len(proc.stderr.splitlines())) == (0, b"", 1)
    assert rows(project, "SELECT outcome FROM hook_events WHERE event_type = 'TaskCompleted'") == [{"outcome": "bad_input"}]
    assert rows(project, "SELECT * FROM llm_verdicts") == []


def test_spooled_completion_is_recorded_as_not_gated(project):
    """Ledger locked past the hook's budget: the hook lets the completion through (spooled);
    the replay records the verdict for what happened."""
    import sqlite3

    gate(project, mode="checks", commands=["false"])
    start_task(project)
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    conn.execute("BEGIN IMMEDIATE")
    try:
        proc = run_hook("TaskCompleted", load_fixture("TaskCompleted__default", project), project,
                        env={"HOOKLEDGER_BUSY_TIMEOUT_MS": "100"})
    finally:
        conn.rollback()
        conn.close()
    assert (proc.returncode, proc.stdout) == (0, b"") and b"spooled" in proc.stderr
    set_status(project, "1", "completed", "in_progress")  # the next hook replays the spool first
    [v] = verdicts(project, "hook_event = 'TaskCompleted'")
    # the checks ran before the ledger was found locked: their results travel with the spooled event
    assert v["decision"] == "allow"
    assert v["reason"].startswith("recorded late from the spool, so not gated; it would have been blocked: ")
    checked = json.loads(v["verdict_json"])
    assert checked["replayed"] is True and [r["status"] for r in checked["checks"]["results"]] == ["failed"]
    assert task(project)["status"] == "completed"
