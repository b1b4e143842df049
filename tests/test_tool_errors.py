"""error_log through the real hooks: attempts counted, escalation answered, auto_fixed,
abandoned at SessionEnd and reopened on resume; failed paths and the CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import load_fixture, rows, run_hook

from hookledger.faces.cli import cli

SID = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"
TEST_CMD = "cd app && uv run python -m pytest -q tests/test_calc.py 2>&1 | tail -20"
TEST_ERR = "Exit code 1\nFAILED tests/test_calc.py::test_add - assert 3 == 4\n1 failed, 2 passed in 0.12s"


def fail(project, n, command=TEST_CMD, error=TEST_ERR, **extra):
    payload = load_fixture("PostToolUseFailure__Bash", project)
    payload.update(tool_input={"command": command, "description": "x"}, tool_use_id=f"toolu_f{n}_{abs(hash(command))}",
                   error=error, **extra)
    proc = run_hook("PostToolUseFailure", payload, project)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["hookSpecificOutput"]["additionalContext"] if proc.stdout.strip() else None


def succeed(project, command, n=0):
    payload = load_fixture("PostToolUse__Bash", project)
    payload.update(tool_input={"command": command, "description": "x"}, tool_use_id=f"toolu_ok{n}")
    proc = run_hook("PostToolUse", payload, project)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return proc


def errors(project):
    return rows(project, "SELECT * FROM error_log ORDER BY id")


def test_failing_command_retried_then_fixed(project):
    assert fail(project, 1) is None
    assert fail(project, 2, command="python -m pytest tests/test_calc.py -x") is None  # same signature
    log = errors(project)
    assert [e["attempt_number"] for e in log] == [1, 2]
    assert log[0]["error_category"] == "test" and log[0]["file_path"] == "tests/test_calc.py"
    assert log[0]["signature"] == "pytest tests/test_calc.py"
    assert log[0]["error_message"].startswith("FAILED tests/test_calc.py::test_add")
    assert log[0]["agent_id"] == f"main:{SID}" and log[0]["tool_use_id"]
    succeed(project, "pytest tests/test_calc.py")
    assert [(e["resolution"], bool(e["resolved_at"])) for e in errors(project)] == [("auto_fixed", True)] * 2
    # Failing again after the fix is a new problem: counting starts over.
    fail(project, 3)
    assert errors(project)[-1]["attempt_number"] == 1


def test_escalation_thresholds_context_and_failed_path(project):
    answers = [fail(project, n) for n in range(1, 6)]
    assert answers[:2] == [None, None]
    log = errors(project)
    assert [e["resolution"] for e in log] == [None, None, "escalated_research", "escalated_research", "escalated_user"]
    research, user = answers[2], answers[4]
    assert "failed 3 times" in research and "test error in tests/test_calc.py" in research
    assert "assert 3 == 4" in research and "investigating the cause" in research
    assert "Already tried" in research and "Running `cd app && uv run python -m pytest" in research
    assert "failed 5 times" in user and "asking the user" in user
    paths = rows(project, "SELECT * FROM failed_paths")
    assert len(paths) == 1  # de-duplicated across the escalated attempts
    assert paths[0]["still_relevant"] == 1 and paths[0]["file_path"] == "tests/test_calc.py"
    assert paths[0]["signature"] == "pytest tests/test_calc.py"
    # Fixed: every open attempt auto_fixed, the escalation kept, the failed path no longer relevant.
    succeed(project, "uv run pytest")  # a whole-suite run of the same checker
    log = errors(project)
    assert {e["resolution"] for e in log} == {"auto_fixed"}
    assert [e["escalation"] for e in log][2:] == ["escalated_research", "escalated_research", "escalated_user"]
    assert rows(project, "SELECT still_relevant FROM failed_paths") == [{"still_relevant": 0}]


def test_thresholds_from_project_config(project):
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"errors": {"research_after": 2, "ask_user_after": 3}}))
    answers = [fail(project, n) for n in range(1, 4)]
    assert answers[0] is None and "attempt 2" in answers[1] and "asking the user" in answers[2]


def test_same_file_and_category_counts_as_same_thing(project):
    fail(project, 1, command="mypy src/app.py", error="Exit code 1\nsrc/app.py:3: error: Incompatible types [assignment]")
    fail(project, 2, command="uv run mypy --strict src/app.py src/util.py",
         error="Exit code 1\nsrc/app.py:3: error: Incompatible types [assignment]")
    fail(project, 3, command="ls /nope", error="Exit code 2\nls: cannot access '/nope'")
    log = errors(project)
    assert [(e["error_category"], e["file_path"], e["attempt_number"]) for e in log] == [
        ("type", "src/app.py", 1), ("type", "src/app.py", 2), ("runtime", None, 1)]
    succeed(project, "echo unrelated")
    assert all(e["resolution"] is None for e in errors(project))


def test_duplicate_delivery_recorded_once_and_interrupt_ignored(project):
    payload = load_fixture("PostToolUseFailure__Bash", project)
    run_hook("PostToolUseFailure", payload, project)
    run_hook("PostToolUseFailure", payload, project)
    assert len(errors(project)) == 1
    payload.update(tool_use_id="toolu_interrupted", is_interrupt=True)
    run_hook("PostToolUseFailure", payload, project)
    assert len(errors(project)) == 1


def test_bash_nonzero_exit_in_post_tool_use_is_a_failure(project):
    payload = load_fixture("PostToolUse__Bash", project)
    payload["tool_response"] = {"stdout": "", "stderr": "make: *** [build] Error 2", "exitCode": 2}
    payload["tool_input"] = {"command": "make build"}
    run_hook("PostToolUse", payload, project)
    log = errors(project)
    assert len(log) == 1 and log[0]["error_category"] == "build" and "make: ***" in log[0]["error_message"]


def test_project_test_script_failure_is_a_test_error_with_its_failing_line(project):
    """A project's own test script (not a known test runner) failing with its own output
    format: category test, and the escalation names the failing line, not the first one."""
    error = "Exit code 1\nrunning 3 tests\nFAIL test_app: expected 2, got 3"
    answers = [fail(project, n, command="sh run-tests.sh", error=error) for n in (1, 2, 3)]
    log = errors(project)
    assert {e["error_category"] for e in log} == {"test"} and [e["attempt_number"] for e in log] == [1, 2, 3]
    assert "(test error" in answers[2]
    reason = rows(project, "SELECT reason_failed FROM failed_paths")[0]["reason_failed"]
    assert reason == "test error, 3 failed attempts: FAIL test_app: expected 2, got 3"
    succeed(project, "sh run-tests.sh")
    assert {e["resolution"] for e in errors(project)} == {"auto_fixed"}
    first_pass = rows(project, "SELECT value FROM session_metrics WHERE key = 'first_passing_test_at'")
    assert len(first_pass) == 1


def test_categories_of_project_scripts_and_runner_outputs_through_the_hooks(project):
    cases = [  # (command, output after Exit code N, category)
        ("npm run test:unit", "> app@1.0.0 test:unit\n> node --test\nnot ok 1 - adds", "test"),
        ("bin/check", "src/app.py:3:1: F401 'os' imported but unused", "lint"),
        ("bin/check", "1 examples, 1 failure", "test"),
        ("make -C web typecheck", "make: *** [typecheck] Error 2", "type"),
        ("just lint", "error: Justfile does not contain recipe `lint`.", "lint"),
        ("./scripts/deploy.sh", "  2 passing\n  1 failing", "test"),
        ("./scripts/deploy.sh", "Permission denied", "runtime"),
    ]
    for n, (command, output, _) in enumerate(cases):
        fail(project, n, command=command, error=f"Exit code 1\n{output}")
    assert [(e["command"], e["error_category"]) for e in errors(project)] == [(c, k) for c, _, k in cases]
    # A Bash PostToolUse with a non-zero exit in its response is classified the same way.
    payload = load_fixture("PostToolUse__Bash", project)
    payload.update(tool_input={"command": "sh scripts/test.sh"}, tool_use_id="toolu_exit_in_response",
                   tool_response={"stdout": "ok 1\nnot ok 2 - parses", "stderr": "", "exitCode": 1})
    run_hook("PostToolUse", payload, project)
    assert errors(project)[-1]["error_category"] == "test"


def test_edit_failure_fixed_by_later_edit_of_same_file(project):
    payload = load_fixture("PreToolUse__Edit", project)
    payload.update(hook_event_name="PostToolUseFailure", error="String to replace not found in file.")
    run_hook("PostToolUseFailure", payload, project)
    log = errors(project)
    assert log[0]["tool_name"] == "Edit" and log[0]["error_category"] == "runtime" and log[0]["file_path"]
    run_hook("PostToolUse", load_fixture("PostToolUse__Edit", project), project)
    assert errors(project)[0]["resolution"] == "auto_fixed"


def test_secrets_redacted_in_error_and_command(project):
    fail(project, 1, command="curl -H 'Authorization: Bearer sk-ant-abcdefghijklmnop123' https://x",
         error="Exit code 22\ncurl: (22) 401 token=ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    row = errors(project)[0]
    assert "sk-ant-abcdefghijklmnop123" not in row["command"]
    assert "ghp_abcdefghijklmnopqrstuvwxyz0123456789" not in row["error_message"]


def test_secret_after_a_flag_is_not_in_the_signature(project):
    """The signature reorders a command's words (operands before options): it is made from the
    redacted command, or `deploy --password S` would be stored as `deploy S --password`."""
    for n in range(3):  # the third attempt records a failed path with the signature too
        fail(project, n, command="deploy --password Tr0ub4dor-and-3-horses --env prod")
    stored = json.dumps(errors(project) + rows(project, "SELECT * FROM failed_paths"))
    assert "Tr0ub4dor" not in stored
    assert {r["signature"] for r in errors(project)} == {"deploy [REDACTED] prod --env --password"}
    assert [r["attempt_number"] for r in errors(project)] == [1, 2, 3]  # still one thing, counted


def test_abandoned_at_session_end_and_reopened_on_resume(project):
    fail(project, 1)
    run_hook("SessionEnd", load_fixture("SessionEnd__other", project), project)
    assert errors(project)[0]["resolution"] == "abandoned"
    resume = load_fixture("SessionStart__resume", project)
    resume["session_id"] = SID
    run_hook("SessionStart", resume, project)
    assert errors(project)[0]["resolution"] is None and errors(project)[0]["resolved_at"] is None


def invoke(*args, env=None):
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_failed_path_cli_add_list_clear(project, monkeypatch):
    fail(project, 1)
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(project))
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", SID)
    monkeypatch.chdir(project)
    out = invoke("failed-path", "add", "--approach", "Pin pytest<8", "--reason", "plugin still broken",
                 "--file", "tests/test_calc.py")
    assert "recorded failed path #1" in out and "linked to the open error" in out
    assert "already recorded" in invoke("failed-path", "add", "--approach", "pin  PYTEST<8", "--reason", "again",
                                        "--file", str(project / "tests/test_calc.py"))
    listed = json.loads(invoke("failed-path", "list", "--json"))
    assert len(listed) == 1 and listed[0]["session_id"] == SID and listed[0]["reason_failed"] == "again"
    assert listed[0]["file_path"] == "tests/test_calc.py"
    invoke("failed-path", "add", "--approach", "Downgrade python", "--reason", "no wheels")
    assert "cleared 1" in invoke("failed-path", "clear", "2")
    assert [p["id"] for p in json.loads(invoke("failed-path", "list", "--json"))] == [1]
    assert len(json.loads(invoke("failed-path", "list", "--all", "--json"))) == 2
    # Fixing the linked error clears the path too.
    succeed(project, "pytest tests/test_calc.py")
    assert json.loads(invoke("failed-path", "list", "--json")) == []


def test_errors_cli_lists_open_errors_with_attempts(project):
    fail(project, 1)
    fail(project, 2)
    fail(project, 3, command="ls /nope", error="Exit code 2\nls: cannot access '/nope'")
    succeed(project, "ls /nope")
    listed = json.loads(invoke("errors", "--project", str(project), "--json"))
    assert len(listed) == 1 and listed[0]["attempts"] == 2 and listed[0]["category"] == "test"
    assert "ls /nope" in invoke("errors", "--project", str(project), "--all")


def test_failed_path_add_finds_the_ledger_above_the_current_directory(project, monkeypatch):
    fail(project, 1)
    sub = project / "src" / "deep"
    sub.mkdir(parents=True)
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)
    monkeypatch.setenv("CLAUDE_CODE_SESSION_ID", SID)
    monkeypatch.chdir(sub)
    invoke("failed-path", "add", "--approach", "Patch the vendored copy", "--reason", "overwritten on install",
           "--file", "../mod.py")
    assert not (sub / ".claude-session.db").exists()
    assert rows(project, "SELECT file_path, session_id FROM failed_paths") == [{"file_path": "src/mod.py", "session_id": SID}]


def test_failed_path_add_as_a_bash_tool_call_would_run_it(project):
    """A subprocess with Claude Code's environment for tool calls, then the brief shows it."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    fail(project, 1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(CLAUDE_PROJECT_DIR=str(project), CLAUDE_CODE_SESSION_ID=SID, PYTHONPATH=str(ROOT / "lib"))
    proc = subprocess.run([sys.executable, "-m", "hookledger", "failed-path", "add", "--approach",
                           "Mock the clock in test_calc", "--reason", "the bug is in add(), not timing"],
                          capture_output=True, text=True, env=env, cwd=str(project), timeout=30)
    assert proc.returncode == 0 and "recorded failed path #1" in proc.stdout, proc.stderr
    start = dict(load_fixture("SessionStart__compact", project), session_id=SID)
    brief = json.loads(run_hook("SessionStart", start, project).stdout)["hookSpecificOutput"]["additionalContext"]
    assert "- Mock the clock in test_calc. Why it failed: the bug is in add(), not timing" in brief
