"""End-to-end fixtures: the real Claude Code CLI, a scripted stand-in API, hookledger installed
into a throwaway project with install.sh, and the ledger read back.

One hookledger install per test run (a session-scoped HOOKLEDGER_HOME: its virtual environment
is created once and reused by each test's `install.sh PROJECT`, as for a user with several
projects). Each test gets a fresh project, HOME and stand-in API. Tests are parametrized over
the Claude Code versions of claude_cli.versions().

When every e2e test passes with a version newer than claude_code.NEWEST_PASSED (the whole
suite, nothing deselected or skipped), the run records it there: `hookledger doctor` compares
the version that ran a project's hooks with it.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.claude_cli import ROOT, Run, Unavailable, cli_env, ensure_cli, run_claude, versions
from e2e.standin_api import StandinAPI

from hookledger.knowledge import claude_code

HERE = Path(__file__).resolve().parent
INSTALL_TIMEOUT_S = 300
# hook_events outcomes that mean hookledger itself went wrong
BAD_OUTCOMES = ("error", "bad_input")


TESTED = ROOT / "lib" / "hookledger" / "knowledge" / "claude_code.py"
# version -> e2e test ids collected; versions that did not run whole (deselected, skipped, failed)
_collected: dict[str, set[str]] = {}
_passed: dict[str, set[str]] = {}
_incomplete: set[str] = set()


def _version(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("claude_cli") if callspec else None


def _is_e2e(item: pytest.Item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_e2e(item):
            item.add_marker(pytest.mark.e2e)
            _collected.setdefault(_version(item) or "", set()).add(item.nodeid)


def pytest_deselected(items: list[pytest.Item]) -> None:
    _incomplete.update(_version(i) or "" for i in items if _is_e2e(i))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    version = next((v for v, ids in _collected.items() if report.nodeid in ids), None)
    if version is None:
        return
    if report.failed or report.skipped:
        _incomplete.add(version)
    elif report.when == "call":
        _passed.setdefault(version, set()).add(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Record a newer Claude Code version that passed the whole e2e suite as NEWEST_PASSED."""
    passed = [v for v, ids in _collected.items() if v and v not in _incomplete and _passed.get(v) == ids]
    newest = max(passed, key=lambda v: claude_code.parse(v) or (), default=None)
    if not newest or not claude_code.newer(newest, claude_code.NEWEST_PASSED):
        return
    source = TESTED.read_text()
    TESTED.write_text(re.sub(r'(?m)^NEWEST_PASSED = "[^"]*"', f'NEWEST_PASSED = "{newest}"', source))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_sep("-", f"Claude Code {newest} passed every e2e test: recorded as NEWEST_PASSED in"
                                f" {TESTED.relative_to(ROOT)} (was {claude_code.NEWEST_PASSED}); commit it", yellow=True)


@pytest.fixture(scope="session", params=versions(), ids=lambda v: f"claude-{v}")
def claude_cli(request: pytest.FixtureRequest) -> tuple[str, Path]:
    """(version, path of its `claude`), installed into the cache on first use."""
    version = request.param
    try:
        return version, ensure_cli(version)
    except Unavailable as exc:
        pytest.skip(f"end-to-end tests need the real Claude Code CLI: {exc}")
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def hookledger_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """HOOKLEDGER_HOME shared by every e2e test: install.sh makes its venv once."""
    return tmp_path_factory.mktemp("hookledger-home")


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLAUDE", "ANTHROPIC", "HOOKLEDGER")) and k not in ("XDG_DATA_HOME", "AI_AGENT")}
    env["HOME"] = str(home)
    return env


class E2ESession:
    """A project with hookledger installed, the stand-in API, and Claude Code runs against both."""

    def __init__(self, version: str, cli: Path, root: Path, hookledger_home: Path, api: StandinAPI) -> None:
        self.version, self.cli, self.api, self.hookledger_home = version, cli, api, hookledger_home
        self.project = root / "project"
        self.home = root / "home"
        self.tmp = root / "tmp"
        for path in (self.project, self.home, self.tmp):
            path.mkdir()
        self.runs: list[Run] = []

    def install(self) -> None:
        """./install.sh PROJECT, exactly as a user runs it."""
        env = {**_base_env(self.home), "HOOKLEDGER_HOME": str(self.hookledger_home)}
        proc = subprocess.run([str(ROOT / "install.sh"), str(self.project)], env=env, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT_S)
        assert proc.returncode == 0, f"install.sh failed:\n{proc.stdout}\n{proc.stderr}"

    # -- driving Claude Code

    def run(self, prompt: str, *flags: str, check: bool = True) -> Run:
        """`claude -p PROMPT FLAGS...` in the project, against the stand-in API."""
        run = run_claude(self.cli, self.project, cli_env(self.home, self.api.url, self.tmp), prompt, *flags)
        self.runs.append(run)
        if check:
            assert run.returncode == 0, f"claude exited {run.returncode}:\n{run.stderr[-3000:]}"
            assert run.result.get("is_error") is not True, f"claude reported an error: {run.result}"
        return run

    # -- the project

    def write(self, relpath: str, content: str) -> Path:
        path = self.project / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        return path

    def configure(self, config: dict[str, Any]) -> None:
        """.claude/hookledger.json"""
        self.write(".claude/hookledger.json", json.dumps(config))

    def path(self, relpath: str) -> str:
        return str(self.project / relpath)

    # -- the ledger

    @property
    def db(self) -> Path:
        return self.project / ".claude-session.db"

    def rows(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()

    def hook_events(self, where: str = "1", params: tuple = ()) -> list[dict[str, Any]]:
        rows = self.rows(f"SELECT * FROM hook_events WHERE {where} ORDER BY id", params)
        for row in rows:
            try:
                row["payload"] = json.loads(row.get("payload_summary") or "{}")
            except ValueError:
                row["payload"] = {}
        return rows

    def hookledger(self, *args: str) -> subprocess.CompletedProcess:
        """The installed `hookledger` command, run in the project."""
        env = {**_base_env(self.home), "HOOKLEDGER_HOME": str(self.hookledger_home)}
        return subprocess.run([str(self.hookledger_home / "venv" / "bin" / "hookledger"), *args], cwd=str(self.project),
                              env=env, capture_output=True, text=True, timeout=120)

    # -- checks every scenario shares

    def assert_hooks_healthy(self) -> None:
        """Every hook run recorded and fine: no hookledger error, nothing left in the spool,
        nothing on the stderr of the hook runs Claude Code reported."""
        bad = self.hook_events(f"outcome IN {BAD_OUTCOMES}")
        assert not bad, f"hook runs that went wrong: {[(r['event_type'], r['outcome'], r['error']) for r in bad]}"
        spool = self.project / ".claude-session.db.spool"
        pending = [p.name for p in spool.iterdir()] if spool.is_dir() else []
        assert not pending, f"events left in the spool: {pending}"
        for run in self.runs:
            for hook in run.hook_responses():
                assert not (hook.get("stderr") or "").strip(), f"{hook.get('hook_name')} wrote to stderr: {hook['stderr']}"
                assert hook.get("exit_code") in (0, None), f"{hook.get('hook_name')} exited {hook.get('exit_code')}"

    def assert_tool_calls_recorded(self, conversation: str, *, denied: tuple[str, ...] = ()) -> None:
        """Each tool call the stand-in made in `conversation` reached hookledger: a PreToolUse and
        exactly one PostToolUse or PostToolUseFailure with its tool_use_id (a denied call: the
        PreToolUse only)."""
        for req in self.api.turns(conversation):
            for block in req.answer:
                if block.get("type") != "tool_use":
                    continue
                tid = block["id"]
                events = [r["event_type"] for r in self.hook_events("tool_use_id = ?", (tid,))]
                assert events.count("PreToolUse") == 1, f"{block['name']} {tid}: {events}"
                after = [e for e in events if e in ("PostToolUse", "PostToolUseFailure")]
                assert len(after) == (0 if tid in denied else 1), f"{block['name']} {tid}: {events}"


@pytest.fixture
def e2e(claude_cli: tuple[str, Path], hookledger_home: Path, tmp_path: Path) -> Iterator[E2ESession]:
    """A project with hookledger installed by install.sh, and the stand-in API to script."""
    version, cli = claude_cli
    with StandinAPI() as api:
        root = tmp_path / "e2e"
        root.mkdir()
        session = E2ESession(version, cli, root, hookledger_home, api)
        session.install()
        yield session
    if session.db.exists():
        session.assert_hooks_healthy()
