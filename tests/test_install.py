"""install.sh / `hookledger install`: merge into settings.json, idempotent, reversible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, load_fixture

from hookledger.faces import install
from hookledger.hotpath.events import EVENTS

OTHER = {
    "model": "claude-opus-4-8",
    "permissions": {"allow": ["Bash(npm test)"]},
    "hooks": {
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh", "timeout": 5}]}],
        "Notification": [{"hooks": [{"type": "command", "command": "notify-send hi"}]}],
    },
}


def write_settings(project: Path, data) -> Path:
    path = project / ".claude" / "settings.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def run_installer(project: Path, *args: str, hooks_dir: Path | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "hookledger.faces.install", str(project), *args]
    if hooks_dir and "--uninstall" not in args:
        argv += ["--hooks-dir", str(hooks_dir)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    return subprocess.run(argv, capture_output=True, text=True, env=env)


def test_install_merges_keeps_others_and_is_idempotent(project, tmp_path):
    path = write_settings(project, OTHER)
    proc = run_installer(project, hooks_dir=tmp_path / "hooks")
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(path.read_text())
    assert merged["model"] == OTHER["model"] and merged["permissions"] == OTHER["permissions"]
    assert merged["hooks"]["PreToolUse"][0] == OTHER["hooks"]["PreToolUse"][0]
    assert merged["hooks"]["Notification"] == OTHER["hooks"]["Notification"]
    assert set(install.registered_events(str(project))) == set(EVENTS)
    for event in EVENTS:
        [command] = install.registered_events(str(project))[event]
        assert command.endswith(install.MARKER)
        exe, script = command.split()[:2]
        assert os.path.isabs(exe) and os.path.isabs(script) and Path(script).exists()
    backups = list(path.parent.glob("settings.json.*.bak"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == OTHER
    assert ".claude-session.db*" in (project / ".gitignore").read_text().splitlines()

    snapshot = path.read_text()
    again = run_installer(project, hooks_dir=tmp_path / "hooks")
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert path.read_text() == snapshot
    assert len(list(path.parent.glob("settings.json.*.bak"))) == 1
    assert (project / ".gitignore").read_text().count(".claude-session.db*") == 1


def test_uninstall_removes_exactly_ours(project, tmp_path):
    path = write_settings(project, OTHER)
    run_installer(project, hooks_dir=tmp_path / "hooks")
    proc = run_installer(project, "--uninstall")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(path.read_text()) == OTHER


def test_invalid_settings_left_untouched_with_clear_error(project, tmp_path):
    path = write_settings(project, '{"hooks": {"PreToolUse": [ oops')
    before = path.read_bytes()
    proc = run_installer(project, hooks_dir=tmp_path / "hooks")
    assert proc.returncode != 0
    assert "not valid JSON" in proc.stderr and "untouched" in proc.stderr
    assert path.read_bytes() == before
    assert not list(path.parent.glob("*.bak"))


def test_install_into_project_without_settings(project, tmp_path):
    assert run_installer(project, hooks_dir=tmp_path / "hooks").returncode == 0
    settings = json.loads((project / ".claude" / "settings.json").read_text())
    assert set(settings["hooks"]) == set(EVENTS)
    assert settings["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"] >= 2


def test_registered_command_works_from_any_directory(project, tmp_path):
    """Claude Code runs `sh -c COMMAND` in the session's cwd, which follows `cd`."""
    run_installer(project, hooks_dir=tmp_path / "hooks")
    [command] = install.registered_events(str(project))["PreToolUse"]
    elsewhere = tmp_path / "somewhere" / "deep"
    elsewhere.mkdir(parents=True)
    payload = load_fixture("PreToolUse__Write", project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(CLAUDE_PROJECT_DIR=str(project), PYTHONPATH=str(ROOT / "lib"))
    proc = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(payload).encode() + b"\n",
                          capture_output=True, env=env, cwd=str(elsewhere))
    assert proc.returncode == 0, proc.stderr
    assert (project / ".claude-session.db").exists()


def test_settings_example_matches_installer_output():
    example = json.loads((ROOT / "settings.example.json").read_text())
    expected = install.merge({}, "/home/you/.local/share/hookledger/venv/bin/python",
                             "/home/you/.local/share/hookledger/hooks")
    assert example == expected


def test_repo_hooks_are_the_rendered_template():
    from hookledger.faces.hookscripts import filename, render

    for event in EVENTS:
        path = ROOT / "hooks" / filename(event)
        assert path.read_text() == render(event), f"{path} drifted from hookscripts.TEMPLATE"
        assert os.access(path, os.X_OK)
    assert len(list((ROOT / "hooks").glob("*.py"))) == len(EVENTS)


@pytest.mark.skipif(shutil.which("bash") is None, reason="install.sh needs bash")
def test_install_sh_end_to_end(project, tmp_path):
    """The real script: venv, package, hooks, settings, PATH link, then a hook fired by sh -c."""
    home = tmp_path / "hl-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUDE", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(HOOKLEDGER_HOME=str(home), HOME=str(tmp_path / "home"))
    proc = subprocess.run(["bash", str(ROOT / "install.sh"), str(project)], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "home" / ".local" / "bin" / "hookledger").exists()
    [command] = install.registered_events(str(project))["PostToolUse"]
    assert str(home / "venv" / "bin" / "python") in command
    payload = load_fixture("PostToolUse__Bash", project)
    run_env = {k: v for k, v in env.items()}
    run_env["CLAUDE_PROJECT_DIR"] = str(project)
    fired = subprocess.run(["/bin/sh", "-c", command], input=json.dumps(payload).encode(), capture_output=True,
                           env=run_env, cwd=str(tmp_path))
    assert fired.returncode == 0 and fired.stdout == b"", fired.stderr
    import sqlite3

    conn = sqlite3.connect(str(project / ".claude-session.db"))
    assert conn.execute("SELECT event_type, outcome FROM hook_events").fetchall() == [("PostToolUse", "ok")]
    linked = tmp_path / "home" / ".local" / "bin" / "sqlite-utils"  # none on this PATH: ours is linked
    if shutil.which("sqlite-utils", path=env.get("PATH")) is None:
        counted = subprocess.run([str(linked), "rows", str(project / ".claude-session.db"), "hook_events", "--csv"],
                                 capture_output=True, text=True, env=env)
        assert counted.returncode == 0 and "PostToolUse" in counted.stdout, counted.stderr
    again = subprocess.run(["bash", str(ROOT / "install.sh"), str(project)], capture_output=True, text=True,
                           env=env, timeout=600)
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert "is up to date with this checkout" in again.stdout  # the unchanged package is not rebuilt
    removed = subprocess.run(["bash", str(ROOT / "install.sh"), "--uninstall", str(project)],
                             capture_output=True, text=True, env=env)
    assert removed.returncode == 0 and install.registered_events(str(project)) == {}
