"""A ledger recorded by the real hooks from three recorded sessions, shared by the inspection
tests: b_subagent (a subagent writes a file), c_compact (a compaction, then /clear), and a_basic cut off
before its Stop and SessionEnd, so its failed command is still an open error in a live session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import HOOKS, ROOT

SESSIONS = ROOT / "lib" / "hookledger" / "demo" / "sessions"
A_BASIC = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"
B_SUBAGENT = "16844d04-f039-4e79-b808-175a142b454b"
C_COMPACT = "653000e5-5ec8-4bd1-8e55-ed16fefd33d1"
C_CLEARED = "f23eacd0-9085-4340-9617-a69bf12c2a6f"  # c_compact ends with /clear: a new session
SUBAGENT = "aff41339c1597efe4"


def record_sessions(project: Path) -> Path:
    """Replay the sessions into `project` through hooks/; returns the ledger path."""
    from hookledger.replay import load, replay, run_call, stage_transcripts

    env = {"HOME": str(project / ".home"), "HOOKLEDGER_HOME": str(project / ".hookledger-home")}
    for name in ("b_subagent", "c_compact"):
        replay(str(SESSIONS / f"{name}.jsonl"), str(project), str(HOOKS), extra_env=env)
    home = str(project / ".home")
    stage_transcripts("a_basic", home, str(project))
    for call in load(str(SESSIONS / "a_basic.jsonl"), str(project), home):
        if call.event in ("Stop", "SessionEnd"):
            break
        run_call(call, str(HOOKS), str(project), extra_env=env)
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
