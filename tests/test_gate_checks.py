"""The gate's check runner in-process, with pytest-subprocess (`fp`) faking the check commands'
outcomes: pass, fail, hang past the limit, command missing; then command selection and the
prepare step. (The hooks run in a subprocess, out of fp's reach: tests/test_task_gate.py
drives the same outcomes through the real hook with real tiny scripts.)"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from conftest import load_fixture, run_hook

from hookledger.knowledge import gate_checks
from hookledger.hotpath.events import Event
from hookledger.handlers import task_gate


def test_passing_check(fp, project):
    fp.register(["pytest", "-q"], stdout=["....", "4 passed in 0.12s"], returncode=0)
    [result] = gate_checks.run_checks(["pytest -q"], str(project), 5)
    assert (result["status"], result["exit_code"], result["tail"]) == ("passed", 0, ["....", "4 passed in 0.12s"])
    assert gate_checks.failing([result]) == []


def test_failing_check_and_its_feedback(fp, project):
    output = ["F...", "FAILED tests/test_report.py::test_totals - assert 3 == 4", "1 failed, 3 passed in 0.2s"]
    fp.register(["pytest", "-q"], stdout=output, returncode=1)
    fp.register(["ruff", "check", "."], stdout=["All checks passed!"], returncode=0)
    results = gate_checks.run_checks(["pytest -q", "ruff check ."], str(project), 5)
    assert [(r["status"], r["exit_code"]) for r in results] == [("failed", 1), ("passed", 0)]
    text = gate_checks.feedback('task 1 "Write the report"', results, 5)
    assert text.splitlines()[0] == 'hookledger quality gate: task 1 "Write the report" stays open: 1 of 2 check(s) did not pass.'
    assert "`pytest -q` failed (exit 1" in text and "FAILED tests/test_report.py::test_totals - assert 3 == 4" in text
    assert "`ruff check .` passed" in text


def test_hanging_check_is_stopped_at_the_limit(fp, project):
    hang = fp.register(["pytest"], wait=2.5)
    started = time.monotonic()
    [result] = gate_checks.run_checks(["pytest"], str(project), 0.5)
    assert result["status"] == "timeout" and result["exit_code"] is None
    assert signal.SIGKILL in hang.first_call.received_signals()
    assert time.monotonic() - started < 5
    assert "did not finish within the gate's 0.5 s" in gate_checks.describe(result, 0.5)


def test_missing_program(fp, project):
    def not_found(process):
        raise FileNotFoundError(2, "No such file or directory", "ruff")

    fp.register(["ruff", "check", "."], callback=not_found)
    [result] = gate_checks.run_checks(["ruff check ."], str(project), 5)
    assert result["status"] == "missing" and "No such file" in result["error"]
    assert gate_checks.failing([result]) == []  # a missing tool says nothing about the task


def test_missing_program_behind_the_shell(fp, project):
    fp.register(["/bin/sh", "-c", "npm run lint && npm test"], stdout=["sh: 1: npm: not found"], returncode=127)
    [result] = gate_checks.run_checks(["npm run lint && npm test"], str(project), 5)
    assert (result["status"], result["tail"]) == ("missing", ["sh: 1: npm: not found"])


def test_pytest_collecting_nothing_is_not_a_failure(fp, project):
    fp.register(["uv", "run", "pytest"], stdout=["no tests ran in 0.01s"], returncode=5)
    fp.register(["make", "test"], returncode=5)
    results = gate_checks.run_checks(["uv run pytest", "make test"], str(project), 5)
    assert [r["status"] for r in results] == ["passed", "failed"]


def test_output_tail_is_redacted_and_without_colour(fp, project):
    fp.register(["pytest"], stdout=["\x1b[31mFAILED\x1b[0m test_api", "API_TOKEN=sk-ant-abcdefghijklmnop1234"], returncode=1)
    [result] = gate_checks.run_checks(["pytest"], str(project), 5)
    assert result["tail"][0] == "FAILED test_api"
    assert "sk-ant-abcdefghijklmnop1234" not in json.dumps(result)


def test_budget_spent_skips_the_rest(project):
    """Real processes: the budget is shared, so what comes after a hang is not started."""
    results = gate_checks.run_checks([f"{sys.executable} -c 'import time; time.sleep(30)'", "true"], str(project), 1)
    assert [r["status"] for r in results] == ["timeout", "skipped"]
    assert results[0]["duration_ms"] < 5000


def test_timeout_kills_the_whole_process_group(project, tmp_path):
    """A test runner's workers die with it (real processes: a shell that started a child)."""
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "suite.sh"
    script.write_text(f"sleep 60 &\necho $! > {pid_file}\nwait\n")
    [result] = gate_checks.run_checks([f"sh {script}"], str(project), 1)
    assert result["status"] == "timeout"
    child = int(pid_file.read_text())
    time.sleep(0.2)
    assert not alive(child)


def alive(pid: int) -> bool:
    """Running (a killed process whose parent is gone may linger as a zombie until reaped)."""
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def test_commands_from_config_then_project_state_then_detection(project):
    (project / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    db = str(project / ".claude-session.db")
    assert gate_checks.commands_for(str(project), db, []) == (["pytest", "ruff check ."], "detected")
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)  # fills project_state
    (project / "pyproject.toml").unlink()  # the ledger's state is used, not the files again
    assert gate_checks.commands_for(str(project), db, []) == (["pytest", "ruff check ."], "project_state")
    assert gate_checks.commands_for(str(project), db, ["make check", " "]) == (["make check"], "config")


def test_prepare_runs_checks_only_in_checks_mode(fp, project):
    event = Event("TaskCompleted", load_fixture("TaskCompleted__default", project))
    db = str(project / ".claude-session.db")
    # observe: nothing runs (fp raises on any unregistered command)
    assert task_gate.prepare_task_completed(event, str(project), db, {"gate": {"mode": "observe"}}) is None
    fp.register(["pytest"], returncode=1, stdout=["1 failed"])
    fp.register(["ruff", "check", "."], returncode=0)
    config = {"gate": {"mode": "checks", "commands": ["pytest", "ruff check ."], "timeout_seconds": 30}}
    prepared = task_gate.prepare_task_completed(event, str(project), db, config)
    assert prepared["source"] == "config" and prepared["budget_s"] == 30
    assert [(r["command"], r["status"]) for r in prepared["results"]] == [("pytest", "failed"), ("ruff check .", "passed")]
    json.dumps(prepared)  # it is stored as verdict_json
