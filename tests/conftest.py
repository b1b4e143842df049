"""Shared fixtures: an isolated project, the real hook executables, the real ledger.

Every test gets its own project directory, HOME and HOOKLEDGER_HOME under tmp_path, so no
test can touch a real ~/.claude or a real ledger.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / "hooks"
EVENTS_DIR = Path(__file__).parent / "fixtures" / "events"
RECORDED_PROJECT = "/home/dev/acme-app"

sys.path.insert(0, str(ROOT / "lib"))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HOOKLEDGER_HOME", str(tmp_path / "hookledger-home"))
    for var in ("HOOKLEDGER_DB", "HOOKLEDGER_OFF", "CLAUDE_PROJECT_DIR", "HOOKLEDGER_BUSY_TIMEOUT_MS",
                "HOOKLEDGER_DEADLINE_S", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "acme-app"
    path.mkdir()
    return path


def rewrite(value: Any, project: Path) -> Any:
    if isinstance(value, str):
        return value.replace(RECORDED_PROJECT, str(project))
    if isinstance(value, dict):
        return {k: rewrite(v, project) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite(v, project) for v in value]
    return value


def fixture_names() -> list[str]:
    return sorted(p.stem for p in EVENTS_DIR.glob("*.json"))


def load_fixture(name: str, project: Path | None = None) -> dict[str, Any]:
    """The stdin payload of tests/fixtures/events/<name>.json, moved into `project`."""
    data = json.loads((EVENTS_DIR / f"{name}.json").read_text())["stdin"]
    return rewrite(data, project) if project else data


def hook_path(event: str) -> Path:
    from hookledger.faces.hookscripts import filename

    return HOOKS / filename(event)


def run_hook(event: str, stdin: dict[str, Any] | bytes | str, project: Path, *,
             env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run hooks/<event>.py as Claude Code does: a subprocess, JSON + newline on stdin."""
    if isinstance(stdin, dict):
        data = (json.dumps(stdin) + "\n").encode()
    elif isinstance(stdin, str):
        data = stdin.encode()
    else:
        data = stdin
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    full_env["CLAUDE_PROJECT_DIR"] = str(project)
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(hook_path(event))], input=data, capture_output=True,
                          env=full_env, cwd=str(project), timeout=timeout)


def ledger_path(project: Path) -> Path:
    return project / ".claude-session.db"


def rows(project: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    """Read the real ledger back with plain sqlite3."""
    conn = sqlite3.connect(str(ledger_path(project)))
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


@pytest.fixture
def hook():
    return run_hook
