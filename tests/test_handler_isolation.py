"""A failing handler is rolled back alone: the others' effects stand and the run is recorded."""

from __future__ import annotations

import sqlite3

from conftest import load_fixture, rows, run_hook


def test_a_broken_handler_is_isolated_and_recorded(project):
    payload = load_fixture("PreToolUse__Write", project)
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    # Break the schema under one concern only: agents' table disappears, sessions' stays.
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    conn.execute("DROP VIEW IF EXISTS v_live_agents")
    conn.execute("ALTER TABLE agent_registry RENAME TO agent_registry_moved")
    conn.commit()
    conn.close()
    payload["session_id"] = "isolation-session"
    proc = run_hook("PreToolUse", payload, project)
    assert proc.returncode == 0 and proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "internal error in agents" in lines[0]
    [row] = rows(project, "SELECT outcome, error FROM hook_events WHERE session_id = 'isolation-session'")
    assert row["outcome"] == "error" and "[agents]" in row["error"]
    # sessions' handler ran in its own savepoint and its row stands
    assert rows(project, "SELECT session_id FROM sessions WHERE session_id = 'isolation-session'")
