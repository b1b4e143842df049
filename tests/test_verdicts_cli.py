"""`hookledger verdicts` and `hookledger verdict record` over a ledger the real hooks wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from conftest import HOOKS, ROOT, load_fixture, rows, run_hook

from hookledger.faces.cli import cli

SID = "f06b0d73-3e1f-4bfb-bacf-40fd0a7e02cf"


def invoke(project, *args, code=0, stdin=None, env=None):
    result = CliRunner().invoke(cli, list(args), input=stdin, env={"CLAUDE_PROJECT_DIR": str(project), **(env or {})})
    assert result.exit_code == code, result.output
    return result.output


def e_tasks(project):
    from hookledger.faces.replay import replay

    replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/e_tasks.jsonl"), str(project), str(HOOKS))


def completion(project, task_id):
    payload = load_fixture("TaskCreated__default", project)
    payload.update(task_id=task_id, task_subject=f"Task {task_id}")
    run_hook("TaskCreated", payload, project)
    payload = load_fixture("TaskCompleted__default", project)
    payload.update(task_id=task_id, task_subject=f"Task {task_id}")
    assert run_hook("TaskCompleted", payload, project).returncode == 0


def test_verdicts_lists_them_with_their_tasks(project):
    e_tasks(project)
    table = invoke(project, "verdicts", env={"COLUMNS": "200"})
    lines = table.splitlines()
    assert lines[0].split() == ["#", "when", "session", "task", "subject", "event", "source", "decision", "reason"]
    starts = [line for line in lines[2:] if line[:1].isdigit()]  # a row's first line; long reasons wrap under it
    assert [line.split()[0] for line in starts] == ["3", "2", "1"]
    assert "Write the report" in starts[0] and " f06b0d73 " in starts[0] and max(len(line) for line in lines) <= 200
    narrow = invoke(project, "verdicts", env={"COLUMNS": "80"}).splitlines()
    assert max(len(line) for line in narrow) <= 80 and narrow[0].split()[:2] == ["#", "session"]
    assert "not shown at 80 columns: when, subject, event" in " ".join(narrow)
    found = json.loads(invoke(project, "verdicts", "--json"))
    assert [(v["id"], v["event"], v["decision"]) for v in found] == [
        (3, "TaskCompleted", "allow"), (2, "TaskUpdate", "block"), (1, "TaskCompleted", "allow")]
    assert found[0]["verdict"]["task"]["status_before"] == "in_progress"
    assert (found[0]["subject"], found[0]["task_status"], found[0]["session_id"]) == ("Write the report", "completed", SID)
    assert [v["id"] for v in json.loads(invoke(project, "verdicts", "--blocks", "--json"))] == [2]
    assert [v["id"] for v in json.loads(invoke(project, "verdicts", "--session", "f06b", "--task", "1", "--limit", "1",
                                               "--json"))] == [3]
    assert json.loads(invoke(project, "verdicts", "--task", "9", "--json")) == []
    assert invoke(project, "verdicts", "--session", "nope", code=1).strip() == "Error: no session matches 'nope'"


def test_record_reads_stdin_and_tolerates_prose_around_the_json(project):
    e_tasks(project)
    answer = 'Verdict:\n```json\n{"ok": false, "reason": "report.txt has no totals"}\n```\n'
    out = invoke(project, "verdict", "record", "--task", "1", "--judge", "reviewer", stdin=answer)
    assert out.splitlines() == ["recorded block verdict #4 from judge reviewer for task 1 (session f06b0d73) for the"
                                " task's next completion",
                                "note: gate.mode is 'observe': a waiting verdict is applied only in judge mode"]
    [row] = rows(project, "SELECT * FROM llm_verdicts WHERE id = 4")
    assert (row["session_id"], row["hook_event"], row["source"], row["decision"], row["reason"]) == \
        (SID, "judge", "judge:reviewer", "block", "report.txt has no totals")
    assert json.loads(row["verdict_json"]) == {"judge": "reviewer", "applies_to": "next",
                                               "verdict": {"ok": False, "reason": "report.txt has no totals"}}


def test_record_rejects_what_is_not_a_verdict(project):
    e_tasks(project)
    assert "not JSON" in invoke(project, "verdict", "record", "--task", "1", "looks fine to me", code=1)
    assert '"ok": true|false' in invoke(project, "verdict", "record", "--task", "1", '{"score": 7}', code=1)
    assert "no task given" in invoke(project, "verdict", "record", '{"ok": true}', code=1)
    assert "no completion of task 1 is in progress" in invoke(project, "verdict", "record", "--task", "1", "--for",
                                                              "attempt", '{"ok": true}', code=1)
    assert len(rows(project, "SELECT * FROM llm_verdicts")) == 3  # nothing recorded


def test_record_in_a_hook_context_finds_the_completion_in_progress(project):
    """Run as an agent hook's Bash call would: Claude Code's variables, a subdirectory, stdin."""
    completion(project, "5")
    (project / "src").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(CLAUDE_PROJECT_DIR=str(project), CLAUDE_CODE_SESSION_ID=SID, PYTHONPATH=str(ROOT / "lib"))
    proc = subprocess.run([sys.executable, "-m", "hookledger", "verdict", "record", "--judge", "agent-hook"],
                          input='{"ok": true, "reason": "all five sections present"}', capture_output=True, text=True,
                          env=env, cwd=str(project / "src"), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("recorded allow verdict #2 from judge agent-hook for task 5 (session f06b0d73)"
                                  " on the completion in progress (gate verdict #1)")
    [row] = rows(project, "SELECT * FROM llm_verdicts WHERE id = 2")
    assert (row["hook_event"], json.loads(row["verdict_json"])["attempt"]) == ("TaskCompleted", 1)


def test_record_needs_a_task_when_several_completions_are_in_progress(project):
    completion(project, "1")
    completion(project, "2")
    out = invoke(project, "verdict", "record", '{"ok": true}', code=1, env={"CLAUDE_CODE_SESSION_ID": SID})
    assert "completions of several tasks are in progress (1, 2): give --task ID" in out
    out = invoke(project, "verdict", "record", "--task", "2", "--for", "next", '{"ok": true}', env={"CLAUDE_CODE_SESSION_ID": SID})
    assert out.splitlines()[0] == ("recorded allow verdict #3 from judge external for task 2 (session f06b0d73)"
                                   " for the task's next completion")
