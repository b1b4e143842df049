"""A ledger recorded by the real hooks from three recorded sessions, shared by the inspection
tests: b_subagent (a subagent writes a file), c_compact (a compaction, then /clear), and a_basic cut off
before its Stop and SessionEnd, so its failed command is still an open error in a live session.

Into the live a_basic session the real hooks then get recorded payloads, moved onto it: a test
command failing three times (escalated: an open error with attempts and a failed path), and a
subagent that starts and writes hello.txt, which the main thread holds (a claim conflict, a
running agent). Last, one run whose input is not JSON (a bad_input hook problem)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import HOOKS, ROOT, load_fixture, run_hook

SESSIONS = ROOT / "lib" / "hookledger" / "faces" / "demo_sessions" / "sessions"
A_BASIC = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"
B_SUBAGENT = "16844d04-f039-4e79-b808-175a142b454b"
C_COMPACT = "653000e5-5ec8-4bd1-8e55-ed16fefd33d1"
C_CLEARED = "f23eacd0-9085-4340-9617-a69bf12c2a6f"  # c_compact ends with /clear: a new session
SUBAGENT = "aff41339c1597efe4"
LIVE_AGENT = "a1b2c3d4e5f6a7b8c"  # the subagent added to a_basic, still running
FAILING_TEST = "python -m pytest -q tests/test_calc.py"
FAILING_ERROR = "Exit code 1\nFAILED tests/test_calc.py::test_add - assert 3 == 4\n1 failed, 2 passed in 0.12s"


def add_live_work(project: Path, env: dict[str, str]) -> None:
    """The escalated error and the conflicting subagent described above, through hooks/."""
    def fire(event: str, payload: dict | bytes) -> None:
        proc = run_hook(event, payload, project, env=env)
        assert proc.returncode == 0, proc.stderr

    for n in range(3):
        failure = load_fixture("PostToolUseFailure__Bash", project)
        failure.update(session_id=A_BASIC, tool_input={"command": FAILING_TEST, "description": "run the tests"},
                       tool_use_id=f"toolu_inspect_fail{n}", error=FAILING_ERROR)
        fire("PostToolUseFailure", failure)
    start = load_fixture("SubagentStart__general-purpose", project)
    start.update(session_id=A_BASIC, agent_id=LIVE_AGENT)
    fire("SubagentStart", start)
    write = load_fixture("PreToolUse__subagent_Write", project)
    write.update(session_id=A_BASIC, agent_id=LIVE_AGENT, tool_use_id="toolu_inspect_conflict",
                 tool_input={"file_path": str(project / "hello.txt"), "content": "the helper's version\n"})
    fire("PreToolUse", write)
    done = load_fixture("PostToolUse__subagent_Write", project)
    done.update(session_id=A_BASIC, agent_id=LIVE_AGENT, tool_use_id=write["tool_use_id"], tool_input=write["tool_input"])
    fire("PostToolUse", done)
    fire("PreToolUse", b"not json at all\n")


def record_sessions(project: Path) -> Path:
    """Replay the sessions into `project` through hooks/; returns the ledger path."""
    from hookledger.faces.replay import load, replay, run_call, stage_transcripts

    env = {"HOME": str(project / ".home"), "HOOKLEDGER_HOME": str(project / ".hookledger-home")}
    for name in ("b_subagent", "c_compact"):
        replay(str(SESSIONS / f"{name}.jsonl"), str(project), str(HOOKS), extra_env=env)
    home = str(project / ".home")
    stage_transcripts("a_basic", home, str(project))
    for call in load(str(SESSIONS / "a_basic.jsonl"), str(project), home):
        if call.event in ("Stop", "SessionEnd"):
            break
        run_call(call, str(HOOKS), str(project), extra_env=env)
    add_live_work(project, env)
    return project / ".claude-session.db"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project directory holding the recorded ledger (built once per test module)."""
    project = tmp_path_factory.mktemp("inspect") / "acme-app"
    project.mkdir()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("CLAUDE", "HOOKLEDGER"))}
    try:
        record_sessions(project)
    finally:
        os.environ.update(saved)
    return project
