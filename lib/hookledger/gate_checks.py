"""The checks of the TaskCompleted gate: which commands to run, and running them under a budget.

Runs before the ledger's write transaction (runtime's prepare step), so a slow test suite
never holds the write lock. Imported only in `checks` mode.

Commands come from `gate.commands`, else the project_state table (`test_command`,
`lint_command`, filled on SessionStart), else the same detection run now. Each command gets
what is left of `gate.timeout_seconds` (a budget for all of them); one that outlives it is
killed with its whole process group. Outcomes: passed, failed, timeout, missing (the program
does not exist), error (could not be started), skipped (budget spent before it started).
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import time
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

from hookledger.redact import redact

if TYPE_CHECKING:
    from typing import Any

# The installed TaskCompleted hook has a 600 s timeout; stay well inside it.
MAX_BUDGET_S = 540.0
CHECK_KEYS = ("test_command", "lint_command")
TAIL_LINES = 12
TAIL_BYTES = 32_768
LINE_MAX = 300
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`*?~{}\n]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# Exit codes that mean "nothing to test", not "tests failed", by program.
NOTHING_TO_TEST = {"pytest": 5}


def budget(config_value: Any) -> float:
    """gate.timeout_seconds as a usable budget (positive, at most MAX_BUDGET_S)."""
    try:
        seconds = float(config_value)
    except (TypeError, ValueError):
        seconds = 120.0
    return min(max(seconds, 1.0), MAX_BUDGET_S)


def _from_state(db_path: str) -> list[str]:
    """test/lint commands recorded in project_state, read without taking any lock."""
    if not os.path.exists(db_path):
        return []
    from hookledger.handlers.project_state import read

    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            state = read(conn)
        finally:
            conn.close()
    except sqlite3.Error:
        return []  # no project_state table yet, or an unreadable ledger
    return [c for c in (state.get(k) for k in CHECK_KEYS) if isinstance(c, str) and c.strip()]


def _detected(project_dir: str) -> list[str]:
    from hookledger.handlers.project_state import _stat, detect

    found = detect(project_dir, _stat(project_dir))
    return [c for c in (found.get(k) for k in CHECK_KEYS) if isinstance(c, str) and c.strip()]


def commands_for(project_dir: str, db_path: str, configured: Any) -> tuple[list[str], str]:
    """(commands, where they came from): config, project_state, detected, or none."""
    if isinstance(configured, str):
        configured = [configured]
    if isinstance(configured, list):
        listed = [c.strip() for c in configured if isinstance(c, str) and c.strip()]
        if listed:
            return listed, "config"
    state = _from_state(db_path)
    if state:
        return state, "project_state"
    detected = _detected(project_dir)
    return (detected, "detected") if detected else ([], "none")


def _argv(command: str) -> tuple[list[str], bool]:
    """Exec form when the command is plain words (a missing program is then detectable);
    `sh -c` when it uses shell syntax (pipes, &&, $VARS, globs, VAR=value prefixes)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = []
    if words and not _SHELL_SYNTAX.search(command) and "=" not in words[0]:
        return words, False
    return ["/bin/sh", "-c", command], True


def _tail(out: Any) -> list[str]:
    """The last lines of the output file, without colour codes, redacted."""
    try:
        size = out.seek(0, os.SEEK_END)
        out.seek(max(0, size - TAIL_BYTES))
        text = out.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return []
    lines = [_ANSI.sub("", line).rstrip() for line in text.splitlines()]
    lines = [line[:LINE_MAX] for line in lines if line.strip()]
    return [redact(line) for line in lines[-TAIL_LINES:]]


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the check and everything it started (test runners fork workers)."""
    import signal

    if proc.pid and proc.pid > 0:  # never killpg(0): that is our own group
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        proc.kill()
        proc.wait(timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        pass


def run_one(command: str, cwd: str, timeout_s: float) -> dict[str, Any]:
    """Run one check; its outcome with the exit code and the last lines of output."""
    import tempfile

    argv, shell = _argv(command)
    result: dict[str, Any] = {"command": redact(command), "status": "error", "exit_code": None,
                              "duration_ms": 0, "tail": []}
    env = dict(os.environ)
    env.setdefault("CI", "1")  # test runners: no watch mode, no prompts
    started = time.monotonic()
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=env, start_new_session=True)
            try:
                code = proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                code = None
                result["status"] = "timeout"
        except FileNotFoundError as exc:
            result.update(status="missing", error=redact(str(exc)))
            return _timed(result, started)
        except OSError as exc:  # not executable, cwd gone, ...
            result.update(error=redact(f"{type(exc).__name__}: {exc}"))
            return _timed(result, started)
        result["tail"] = _tail(out)
    if code is not None:
        result["exit_code"] = code
        program = os.path.basename(argv[0]) if not shell else ""
        if code == 0 or NOTHING_TO_TEST.get(program) == code:
            result["status"] = "passed"
        elif shell and code == 127:
            result["status"] = "missing"  # sh: command not found
        else:
            result["status"] = "failed"
    return _timed(result, started)


def _timed(result: dict[str, Any], started: float) -> dict[str, Any]:
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


def run_checks(commands: list[str], cwd: str, budget_s: float) -> list[dict[str, Any]]:
    """Run the commands in order, sharing one time budget; later ones are skipped once it is spent."""
    deadline = time.monotonic() + budget_s
    results = []
    for command in commands:
        left = deadline - time.monotonic()
        if left <= 0.05:
            results.append({"command": redact(command), "status": "skipped", "exit_code": None, "duration_ms": 0,
                            "tail": [], "error": "the gate's time budget was spent before it started"})
            continue
        results.append(run_one(command, cwd, left))
    return results
