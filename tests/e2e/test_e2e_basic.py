"""Write, Edit, a failing and then a passing Bash command in one real Claude Code session."""

from __future__ import annotations

import json
from pathlib import Path

from e2e.standin_api import text, tool

from hookledger.knowledge.claude_code import NEWEST_PASSED, newer

CHECK = "python3 -c \"import app; assert app.total([1, 2]) == 3, 'total is wrong'\""


def ordered(events: list[tuple], expected: list[tuple]) -> bool:
    """Is `expected` a subsequence of `events`?"""
    it = iter(events)
    return all(any(e == x for e in it) for x in expected)


def test_write_edit_failing_and_passing_bash(e2e):
    app = e2e.path("app.py")
    e2e.api.script(
        "basic",
        # several calls in one message: Writes run one after the other, read-only Bash side by side
        [text("Writing app.py."), tool("Write", {"file_path": app, "content": "def total(xs):\n    return sum(xs) + 1\n"}),
         tool("Write", {"file_path": e2e.path("README.md"), "content": "# app\n"}),
         tool("Bash", {"command": "sleep 0.2; ls", "description": "List"}),
         tool("Bash", {"command": "sleep 0.2; pwd", "description": "Where"})],
        [tool("Bash", {"command": CHECK, "description": "Check total"})],
        [tool("Edit", {"file_path": app, "old_string": "sum(xs) + 1", "new_string": "sum(xs)"})],
        [tool("Bash", {"command": CHECK, "description": "Check total again"})],
        [text("total() is fixed.")],
    )
    run = e2e.run("Fix total() in app.py [[e2e:basic]]")
    assert run.result.get("result") == "total() is fixed."
    assert (e2e.project / "app.py").read_text() == "def total(xs):\n    return sum(xs)\n"
    sid = run.session_id

    # what Claude Code sent to the model: the failure as an error result, the rest as successes
    turns = e2e.api.turns("basic")
    assert [t.answered for t in turns] == ["tool_use"] * 4 + ["end_turn"]
    fail_id, pass_id = turns[1].answer[0]["id"], turns[3].answer[0]["id"]
    assert (e2e.project / "README.md").read_text() == "# app\n"
    failed = turns[2].tool_results()[fail_id]
    assert failed.get("is_error") is True and "AssertionError: total is wrong" in str(failed["content"])
    assert not turns[4].tool_results()[pass_id].get("is_error")

    # every hook ran, in Claude Code's order, for this one session
    events = e2e.hook_events()
    assert {e["session_id"] for e in events} == {sid}
    seen = [(e["event_type"], e["tool_name"]) for e in events]
    assert ordered(seen, [("SessionStart", None), ("UserPromptSubmit", None),
                          ("PreToolUse", "Write"), ("PostToolUse", "Write"),
                          ("PreToolUse", "Bash"), ("PostToolUseFailure", "Bash"),
                          ("PreToolUse", "Edit"), ("PostToolUse", "Edit"),
                          ("PreToolUse", "Bash"), ("PostToolUse", "Bash"),
                          ("Stop", None), ("SessionEnd", None)]), seen
    e2e.assert_tool_calls_recorded("basic")

    # the session, the main agent and the files it changed
    session = e2e.rows("SELECT * FROM sessions")
    assert [(s["session_id"], s["source"], s["status"]) for s in session] == [(sid, "startup", "ended")]
    assert Path(session[0]["transcript_path"]).is_file()
    claims = e2e.rows("SELECT file_path, operation, phase, agent_id FROM file_claims ORDER BY id")
    assert sorted((c["file_path"], c["operation"], c["phase"]) for c in claims) == \
        [("README.md", "Write", "done"), ("app.py", "Edit", "done"), ("app.py", "Write", "done")]
    batch = [e["payload"] for e in events if e["event_type"] == "PostToolBatch"][0]
    assert sorted(c["tool_use_id"] for c in batch["tool_calls"]) == sorted(b["id"] for b in turns[0].answer[1:])
    assert len(e2e.hook_events("tool_name = 'Bash' AND tool_use_id IN (?, ?)",
                               tuple(b["id"] for b in turns[0].answer[3:]))) == 4
    assert {c["agent_id"] for c in claims} == {f"main:{sid}"}

    # the failure: one attempt, a test error, fixed by the passing run of the same check
    errors = e2e.rows("SELECT * FROM error_log")
    assert len(errors) == 1
    error = errors[0]
    assert (error["tool_use_id"], error["tool_name"], error["attempt_number"]) == (fail_id, "Bash", 1)
    assert error["error_category"] == "test"
    assert "AssertionError: total is wrong" in error["error_message"]
    assert not error["error_message"].startswith("Exit code")
    assert error["resolution"] == "auto_fixed" and error["resolved_at"]

    # doctor names the Claude Code that ran the hooks (recorded by them), and warns only when
    # it is newer than the newest version this suite has passed with
    assert run.version == e2e.version
    metric = e2e.rows("SELECT value FROM session_metrics WHERE key = 'claude_code_version'")
    assert metric == [{"value": e2e.version}]
    doctor = e2e.hookledger("doctor", "--json", "--no-sample")
    [check] = [c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "claude code"]
    assert check["detail"].startswith(f"{e2e.version} ran the hooks last (session {sid[:8]}")
    assert check["status"] == ("warn" if newer(e2e.version, NEWEST_PASSED) else "ok")
