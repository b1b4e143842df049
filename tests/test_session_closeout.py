"""Sessions left open are closed out by the next SessionStart — but not one that another
running Claude Code process in the same project still owns."""

from __future__ import annotations

import subprocess

from conftest import load_fixture, rows, run_hook


def start(project, session_id, pid):
    payload = {**load_fixture("SessionStart__startup", project), "session_id": session_id}
    assert run_hook("SessionStart", payload, project, env={"CLAUDE_PID": str(pid)}).returncode == 0


def status(project, session_id):
    return rows(project, "SELECT status FROM sessions WHERE session_id = ?", (session_id,))[0]["status"]


def test_concurrent_session_of_a_live_process_is_left_open(project):
    other_claude = subprocess.Popen(["sleep", "60"])
    try:
        start(project, "session-a", other_claude.pid)
        start(project, "session-b", 999999)  # a second Claude Code in the same project
        assert status(project, "session-a") == "active"
        assert rows(project, "SELECT claude_pid FROM sessions WHERE session_id = 'session-a'") == [
            {"claude_pid": other_claude.pid}]
    finally:
        other_claude.kill()
        other_claude.wait()
    # Its process is gone and SessionEnd never came: the next start closes it out.
    start(project, "session-c", 999998)
    assert status(project, "session-a") == "abandoned"


def test_same_process_starting_a_new_session_closes_the_old_one(project):
    claude = subprocess.Popen(["sleep", "60"])
    try:
        start(project, "first", claude.pid)
        start(project, "second", claude.pid)  # e.g. /clear whose SessionEnd was lost
        assert status(project, "first") == "abandoned"
        assert status(project, "second") == "active"
    finally:
        claude.kill()
        claude.wait()
