"""The checks of the TaskCompleted gate: which commands to run, and running them under a budget.

Runs before the ledger's write transaction (runtime's prepare step), so a slow test suite
never holds the write lock. Imported only in `checks` mode.

Commands come from `gate.commands`, else the project_state table (`test_command`,
`lint_command`, filled on SessionStart), else the same detection run now. Each command gets
what is left of `gate.timeout_seconds` (a budget for all of them); one that outlives it is
killed with its whole process group. Outcomes: passed, failed, timeout, missing (the program
does not exist), error (could not be started), skipped (budget spent before it started). Only
failed and timeout block a completion; feedback() is what the model then reads.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import time
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

from hookledger.hotpath.redact import redact

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
# Exit codes that mean "nothing to test", not "tests failed", by program (any word of the argv).
NOTHING_TO_TEST = {"pytest": 5}
# Shells whose 127 / 126 mean "command not found" / "not executable".
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh"})


def budget(config_value: Any) -> float:
    """gate.timeout_seconds as a usable budget (positive, at most MAX_BUDGET_S)."""
    try:
        seconds = float(config_value)
    except (TypeError, ValueError):
        from hookledger.hotpath.config import DEFAULTS

        seconds = float(DEFAULTS["gate"]["timeout_seconds"])
    return min(max(seconds, 1.0), MAX_BUDGET_S)


def _from_state(db_path: str) -> list[str]:
    """test/lint commands recorded in project_state, read without taking any lock."""
    from hookledger.store.safe_files import ledger_problem

    if not os.path.exists(db_path) or ledger_problem(db_path):
        return []  # no ledger yet, or a planted link: never opened
    from hookledger.knowledge.project import read

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
    from hookledger.knowledge.project import detect, stat

    found = detect(project_dir, stat(project_dir))
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


def _our_child(pid: int) -> bool:
    """True when `pid` is a process this one started and has not reaped (so its group, which
    start_new_session made, is the check's). Guards killpg against a pid that is not ours:
    a stand-in Popen (as in tests) reports small made-up pids such as 1."""
    if pid <= 1:
        return False
    try:
        os.waitpid(pid, os.WNOHANG)  # (0, 0) while it runs; reaps it if it just ended
    except OSError:  # ChildProcessError: not ours
        return False
    return True


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the check and everything it started (test runners fork workers)."""
    import signal

    if isinstance(proc.pid, int) and _our_child(proc.pid):
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
        result["status"] = _status(argv, shell, code)
    return _timed(result, started)


def _status(argv: list[str], shell: bool, code: int) -> str:
    """passed / failed / missing / error from an exit code."""
    shell = shell or os.path.basename(argv[0]) in SHELLS  # `sh -c '...'` written out in the config
    if code == 0:
        return "passed"
    if not shell and any(NOTHING_TO_TEST.get(os.path.basename(w)) == code for w in argv):
        return "passed"  # `pytest`, `uv run pytest`, `python -m pytest` with no tests collected
    if shell and code == 127:
        return "missing"  # sh: command not found
    if shell and code == 126:
        return "error"  # sh: found but not executable
    return "failed"


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


# Outcomes that say the work is not done. missing / error / skipped say nothing about the
# task (a tool not installed, a budget spent): recorded, never a reason to block.
BLOCKING = frozenset({"failed", "timeout"})
FEEDBACK_TAIL = 10


def failing(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The results that block a completion."""
    return [r for r in results if r.get("status") in BLOCKING]


def describe(result: dict[str, Any], budget_s: float) -> str:
    """One line for one check: what ran and how it ended."""
    command, status = f"`{result.get('command')}`", result.get("status")
    took = f"{(result.get('duration_ms') or 0) / 1000:.1f} s"
    if status == "failed":
        return f"{command} failed (exit {result.get('exit_code')}, {took})"
    if status == "timeout":
        return f"{command} did not finish within the gate's {budget_s:g} s (gate.timeout_seconds) and was stopped"
    if status == "missing":
        return f"{command} could not run: program not found"
    if status == "skipped":
        return f"{command} was not run: the gate's {budget_s:g} s were spent"
    if status == "error":
        return f"{command} could not run: {result.get('error') or 'not executable'}"
    return f"{command} passed ({took})"


def feedback(title: str, results: list[dict[str, Any]], budget_s: float) -> str:
    """What the model reads when the gate blocks `title` (the task): which checks failed, their
    last lines of output, and what did pass. Factual, short (shown as the TaskUpdate error)."""
    bad = failing(results)
    lines = [f"hookledger quality gate: {title} stays open: {len(bad)} of {len(results)} check(s) did not pass."]
    for result in bad:
        lines.append("- " + describe(result, budget_s) + (":" if result.get("tail") else ""))
        lines += ["    " + line for line in (result.get("tail") or [])[-FEEDBACK_TAIL:]]
    others = [describe(r, budget_s) for r in results if r not in bad]
    lines += ["- " + line for line in others]
    lines.append("The completion goes through once these checks pass.")
    return "\n".join(lines)
