"""The per-tool-call path stays stdlib-only: heavy imports are measured in the hundreds of ms."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, load_fixture

HEAVY = ("sqlite_utils", "click", "jsonschema", "orjson", "pluggy", "dateutil", "psycopg", "rich")
PROBE = """
import os, runpy, sys, io, json
sys.argv = [{hook!r}]
real_exit = os._exit
def report_then_exit(code):  # the hook leaves through os._exit: report the modules first
    sys.__stderr__.write(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})))
    sys.__stderr__.flush()
    real_exit(code)
os._exit = report_then_exit
runpy.run_path({hook!r}, run_name="__main__")
"""


@pytest.mark.parametrize("event,fixture", [
    ("SessionEnd", "SessionEnd__other"),  # with an automatic warehouse sync configured: spawned, not imported
    ("PreToolUse", "PreToolUse__Write"), ("PostToolUse", "PostToolUse__Bash"),
    ("PostToolUseFailure", "PostToolUseFailure__Bash"), ("UserPromptSubmit", "UserPromptSubmit__default"),
    ("Stop", "Stop__default"), ("SubagentStart", "SubagentStart__general-purpose"),
])
def test_hot_events_import_nothing_heavy(event, fixture, project):
    from conftest import hook_path, run_hook

    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)  # create + migrate first
    (project / ".claude").mkdir(exist_ok=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps(
        {"sync": {"auto": [{"to": "postgres", "target_db": "postgresql://nobody@127.0.0.1:1/none"}]}}))
    code = PROBE.format(hook=str(hook_path(event)), heavy=HEAVY)
    env = {"CLAUDE_PROJECT_DIR": str(project), "PATH": "/usr/bin:/bin",
           "HOOKLEDGER_PG_RETRY_DELAYS": ""}  # the spawned sync finds no server: one attempt, then gone
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(load_fixture(fixture, project)).encode(),
                          capture_output=True, env=env, cwd=str(ROOT))
    loaded = json.loads(proc.stderr.decode().strip().splitlines()[-1])
    assert loaded == [], f"{event} imported {loaded}"
