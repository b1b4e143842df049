"""`hookledger brief` prints the brief exactly as the hook handed it to Claude Code, from what
the hook stored (hook_events.answer, m013), and every answer is stored as it went out."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT, load_fixture, rows, run_hook

SECRET = "sk-ant-api03-" + "A" * 90  # an Anthropic key: redacted before anything is stored


def hookledger(project, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(PYTHONPATH=str(ROOT / "lib"), CLAUDE_PROJECT_DIR=str(project))
    return subprocess.run([sys.executable, "-m", "hookledger", *args], capture_output=True, env=env, timeout=60)


def fire(project, event, payload):
    proc = run_hook(event, payload, project)
    assert proc.returncode in (0, 2), proc.stderr
    return proc


def failing_runs(project, session_id, n, command="python -m pytest -q tests/test_app.py"):
    for i in range(n):
        failure = load_fixture("PostToolUseFailure__Bash", project)
        failure.update(session_id=session_id, tool_use_id=f"toolu_brief_{session_id[:4]}_{i}",
                       tool_input={"command": command, "description": "run the tests"},
                       error=f"Exit code 1\nFAILED tests/test_app.py::test_login - token {SECRET} rejected")
        fire(project, "PostToolUseFailure", failure)


def additional_context(proc) -> str:
    return json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"]


def test_compaction_brief_is_printed_byte_for_byte(project):
    start = load_fixture("SessionStart__startup", project)
    sid = start["session_id"]
    fire(project, "SessionStart", start)
    failing_runs(project, sid, 3)  # escalated: the brief has an open error and a failed path
    fire(project, "PreCompact", {**load_fixture("PreCompact__manual", project), "session_id": sid})
    compact = fire(project, "SessionStart", {**load_fixture("SessionStart__compact", project), "session_id": sid})
    injected = additional_context(compact)
    assert "Errors still unresolved" in injected and SECRET not in injected and "[REDACTED" in injected

    shown = hookledger(project, "brief")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == injected.encode("utf-8")  # not a terminal: exactly the bytes, nothing added
    note = shown.stderr.decode()
    assert f"session {sid[:8]}" in note and "SessionStart compact" in note and "exactly as sent" in note
    assert hookledger(project, "brief", "--kind", "compact", "--session", sid[:6]).stdout == injected.encode()
    as_json = json.loads(hookledger(project, "brief", "--json").stdout)
    assert as_json["text"] == injected and as_json["kind"] == "compact" and as_json["exact"] is True
    assert as_json["injected_at"].endswith("Z") and "T" in as_json["injected_at"]
    [stored] = rows(project, "SELECT answer, outcome FROM hook_events WHERE event_type = 'SessionStart'"
                             " AND json_extract(payload_summary, '$.source') = 'compact'")
    assert stored["answer"] == compact.stdout.decode() and stored["outcome"] == "answered"
    # A run from before answers were kept: rebuilt from the compaction's snapshot, and said so.
    import sqlite3

    with sqlite3.connect(project / ".claude-session.db") as conn:
        conn.execute("UPDATE hook_events SET answer = NULL")
    rebuilt = hookledger(project, "brief")
    assert rebuilt.returncode == 0 and b"rebuilt from the compaction's snapshot" in rebuilt.stderr
    assert rebuilt.stdout == injected.encode()


def test_startup_brief_about_the_previous_session(project):
    first = load_fixture("SessionStart__startup", project)
    fire(project, "SessionStart", first)
    failing_runs(project, first["session_id"], 1, "npm run build")
    nxt = {**first, "session_id": "11111111-2222-4333-8444-555555555555"}
    started = fire(project, "SessionStart", nxt)
    injected = additional_context(started)
    assert "npm run build" in injected
    shown = hookledger(project, "brief", "--kind", "startup")
    assert shown.returncode == 0 and shown.stdout == injected.encode()
    listed = hookledger(project, "brief", "--list").stdout.decode()
    assert "startup" in listed and nxt["session_id"][:8] in listed
    assert hookledger(project, "brief", "--kind", "compact").returncode == 1


def test_no_brief_says_why(project):
    fire(project, "SessionStart", load_fixture("SessionStart__startup", project))
    shown = hookledger(project, "brief")
    assert shown.returncode == 1 and b"no brief was injected" in shown.stderr


def test_every_answer_is_stored_as_it_went_out(project):
    """Escalations, conflict warnings, a gate's block: answer = stdout (or stderr of exit 2)."""
    start = load_fixture("SessionStart__startup", project)
    sid = start["session_id"]
    fire(project, "SessionStart", start)
    failing_runs(project, sid, 3)
    for agent in ("agentA", "agentB"):
        call = load_fixture("PreToolUse__subagent_Write", project)
        call.update(session_id=sid, agent_id=agent, tool_use_id=f"t_{agent}",
                    tool_input={"file_path": str(project / "app.py"), "content": ""})
        warned = fire(project, "PreToolUse", call)
    (project / ".claude").mkdir(exist_ok=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps(
        {"gate": {"mode": "checks", "commands": [f"{sys.executable} -c \"import sys; sys.exit(3)\""]}}))
    task = {**load_fixture("TaskCompleted__default", project), "session_id": sid}
    refused = fire(project, "TaskCompleted", task)
    assert refused.returncode == 2
    stored = {r["event_type"]: r for r in rows(project, "SELECT event_type, answer, outcome, exit_code FROM hook_events"
                                                        " WHERE answer IS NOT NULL")}
    assert stored["PreToolUse"]["answer"] == warned.stdout.decode() and "agentA" in stored["PreToolUse"]["answer"]
    assert stored["TaskCompleted"]["answer"] == refused.stderr.decode() and stored["TaskCompleted"]["outcome"] == "blocked"
    escalation = json.loads(stored["PostToolUseFailure"]["answer"])["hookSpecificOutput"]["additionalContext"]
    assert "3" in escalation and SECRET not in stored["PostToolUseFailure"]["answer"]
    every = rows(project, "SELECT outcome, answer FROM hook_events")
    assert all((r["answer"] is not None) == (r["outcome"] in ("answered", "blocked")) for r in every)
