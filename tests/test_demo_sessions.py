"""The composed demo session keeps Claude Code's real payload shapes and is what its script makes."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import EVENTS_DIR, ROOT

from hookledger.faces.replay import demo_sessions


def captured_shapes() -> dict[str, list[set[str]]]:
    """Per event, the top-level keys of each captured variant."""
    shapes: dict[str, list[set[str]]] = {}
    for path in EVENTS_DIR.glob("*.json"):
        stdin = json.loads(path.read_text())["stdin"]
        shapes.setdefault(stdin["hook_event_name"], []).append(set(stdin))
    return shapes


def test_f_team_is_what_its_script_composes(tmp_path):
    committed = (ROOT / "lib/hookledger/faces/demo_sessions/sessions/f_team.jsonl").read_text()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "compose_demo_team.py")], capture_output=True,
                          text=True, cwd=str(ROOT), timeout=60)
    assert done.returncode == 0, done.stderr
    assert (ROOT / "lib/hookledger/faces/demo_sessions/sessions/f_team.jsonl").read_text() == committed


def test_every_composed_payload_has_a_captured_shape():
    shapes = captured_shapes()
    calls = [json.loads(line) for line in open(demo_sessions()["f_team"])]
    assert len(calls) == 44
    for call in calls:
        keys = set(call["stdin"])
        # a subagent's call is its main-thread shape plus agent_id and agent_type, as Claude Code sends it
        assert any(keys == s or keys - {"agent_id", "agent_type"} == s - {"agent_id", "agent_type"}
                   for s in shapes[call["event"]]), (call["event"], sorted(keys))
        assert call["stdin"]["session_id"] == "7c1e5b2a-9d40-4f6e-8a3b-2f5d0c9e1a77"
        assert set(call["env"]) <= {"CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_CHILD_SESSION", "CLAUDE_EFFORT",
                                    "CLAUDE_CODE_SESSION_ID", "CLAUDE_ENV_FILE", "CLAUDECODE", "CLAUDE_PROJECT_DIR"}
