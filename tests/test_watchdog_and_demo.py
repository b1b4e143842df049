"""The hook gives up in time rather than be killed, and the demo replays real sessions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from conftest import ROOT, hook_path, load_fixture, rows, run_hook


def test_watchdog_exits_0_and_spools_when_stdin_never_closes(project):
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(CLAUDE_PROJECT_DIR=str(project), HOOKLEDGER_DEADLINE_S="0.5")
    proc = subprocess.Popen([sys.executable, str(hook_path("PreToolUse"))], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdin.write(b'{"session_id": "s", ')  # ...and never finish or close
    proc.stdin.flush()
    started = time.monotonic()
    proc.wait(timeout=10)
    elapsed = time.monotonic() - started
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.stdin.close()
    assert proc.returncode == 0 and out == b""
    assert elapsed < 3
    assert len(err.decode().strip().splitlines()) == 1 and "spooled" in err.decode()
    run_hook("Stop", load_fixture("Stop__default", project), project)  # replays the spool
    [row] = rows(project, "SELECT outcome, error, replayed FROM hook_events WHERE event_type = 'PreToolUse'")
    assert row["outcome"] == "error" and "deadline" in row["error"] and row["replayed"] == 1


def test_demo_replays_recorded_sessions_and_reports(tmp_path):
    project = tmp_path / "demo-project"
    proc = subprocess.run([sys.executable, "-m", "hookledger", "demo", "--project", str(project)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "lib")},
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for heading in ("Hook runs per event", "Agents", "What hookledger told the model", "Hook process time",
                    "Explore it"):
        assert heading in out
    assert "exited non-zero" not in out
    for kind in ("claim-conflict warning", "escalation", "continuity brief", "task completion refused"):
        assert kind in out
    recorded = rows(project, "SELECT event_type, count(*) AS n FROM hook_events GROUP BY event_type")
    counts = {r["event_type"]: r["n"] for r in recorded}
    # Every hooked call of the four recordings landed: count them from the recordings themselves.
    from hookledger.hotpath.events import EVENTS
    from hookledger.faces.replay import demo_sessions

    expected: dict[str, int] = {}
    for path in demo_sessions().values():
        for line in open(path):
            event = json.loads(line)["event"]
            if event in EVENTS:
                expected[event] = expected.get(event, 0) + 1
    assert counts == expected
    assert f"PreToolUse          {expected['PreToolUse']}" in out or str(expected["PreToolUse"]) in out
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE outcome IN ('error', 'bad_input')")[0]["n"] == 0
