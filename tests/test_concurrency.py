"""Claude Code runs matching hooks and parallel tool calls at once: nothing may be lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import hook_path, load_fixture, rows


def spawn_all(project, jobs, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["CLAUDE_PROJECT_DIR"] = str(project)
    env.update(env_extra or {})
    procs = []
    for event, payload in jobs:
        p = subprocess.Popen([sys.executable, str(hook_path(event))], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(project))
        procs.append((p, json.dumps(payload).encode() + b"\n"))
    # Everyone is started before anyone gets input: maximal overlap on the brand-new file.
    results = []
    for p, data in procs:
        out, err = p.communicate(data, timeout=60)
        results.append((p.returncode, out, err))
    return results


def test_32_hooks_at_once_on_a_new_database_all_land(project):
    jobs = []
    for i in range(32):
        payload = load_fixture("PostToolUse__Bash", project)
        payload["tool_use_id"] = f"toolu_parallel_{i}"
        jobs.append(("PostToolUse", payload))
    assert not (project / ".claude-session.db").exists()
    results = spawn_all(project, jobs)
    assert [r[0] for r in results] == [0] * 32
    assert all(r[1] == b"" for r in results)
    recorded = rows(project, "SELECT tool_use_id FROM hook_events")
    assert sorted(r["tool_use_id"] for r in recorded) == sorted(f"toolu_parallel_{i}" for i in range(32))
    assert rows(project, "PRAGMA user_version")[0]["user_version"] >= 2
    spool = project / ".claude-session.db.spool"
    assert not spool.exists() or not any(spool.glob("*.event.json"))


def test_mixed_events_in_parallel_each_recorded_once(project):
    names = ["PreToolUse__Write", "PostToolUse__Write", "PreToolUse__Bash", "PostToolUse__Bash",
             "PostToolUseFailure__Bash", "UserPromptSubmit__default", "Stop__default", "SubagentStart__general-purpose"]
    jobs = []
    for round_ in range(3):
        for name in names:
            payload = load_fixture(name, project)
            jobs.append((payload["hook_event_name"], payload))
    results = spawn_all(project, jobs)
    assert all(r[0] == 0 for r in results), [r[2] for r in results if r[0]]
    counts = {r["event_type"]: r["n"] for r in rows(project, "SELECT event_type, count(*) AS n FROM hook_events GROUP BY event_type")}
    expected: dict[str, int] = {}
    for event, _ in jobs:
        expected[event] = expected.get(event, 0) + 1
    assert counts == expected
