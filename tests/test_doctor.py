"""`hookledger doctor` on a recorded project: healthy, then broken the ways projects break
(settings rewritten without our hooks, a hook file gone, hooks disabled, events stuck in the
spool, a ledger from a newer version, a corrupt ledger, old data), each time following the
fix it prints and finding the problem gone."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, load_fixture, rows, run_hook
from inspect_support import B_SUBAGENT, recorded  # noqa: F401
from retention_support import age_sessions

from hookledger.faces import install
from hookledger.hotpath.events import EVENTS

ENV = {"PYTHONPATH": str(ROOT / "lib")}


def hookledger(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "hookledger", *args], capture_output=True, text=True,
                          env={**os.environ, **ENV}, cwd=cwd)


def doctor(project: Path, *args: str) -> tuple[int, dict]:
    proc = hookledger("doctor", "--project", str(project), "--json", *args)
    return proc.returncode, json.loads(proc.stdout)


def checks(report: dict, name: str) -> list[dict]:
    return [c for c in report["checks"] if c["name"] == name]


def follow(fix: str) -> subprocess.CompletedProcess:
    """Run the command doctor printed (`hookledger ...` is this checkout's CLI)."""
    words = shlex.split(fix.split("   (")[0])
    assert words[0] == "hookledger", fix
    proc = hookledger(*words[1:])
    assert proc.returncode == 0, proc.stderr
    return proc


def installed_project(recorded: Path, tmp_path: Path) -> Path:
    """A copy of the recorded project with hookledger installed as install.sh does it."""
    project = tmp_path / "acme-app"
    project.mkdir()
    shutil.copy(recorded / ".claude-session.db", project / ".claude-session.db")
    (project / ".claude").mkdir()
    (project / ".claude" / "settings.json").write_text(json.dumps({"permissions": {"allow": ["Bash(ls:*)"]}}))
    follow(f"hookledger install {project}")
    return project


def test_doctor_on_a_project_whose_settings_lost_the_hooks(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    code, report = doctor(project)
    assert code == 0 and report["ok"], report
    assert "the registered PreToolUse hook" in checks(report, "latency sample")[0]["detail"]
    # Claude Code rewrites settings.json: other keys kept, our hooks gone.
    settings = project / ".claude" / "settings.json"
    kept = {k: v for k, v in json.loads(settings.read_text()).items() if k != "hooks"}
    settings.write_text(json.dumps({**kept, "model": "opus"}, indent=2))
    text = hookledger("doctor", "--project", str(project))
    assert text.returncode == 1
    assert "FAIL  hooks registered" in text.stdout and "nothing is being recorded" in text.stdout
    assert f"fix: hookledger install {project}" in text.stdout and "1 problem(s) found." in text.stdout
    code, report = doctor(project)
    [registered] = checks(report, "hooks registered")
    assert code == 1 and registered["status"] == "fail"
    follow(registered["fix"])
    code, report = doctor(project)
    assert code == 0 and report["ok"], report
    assert json.loads(settings.read_text())["model"] == "opus"  # the rest of the settings survived
    assert set(install.registered_events(str(project))) == set(EVENTS)


def test_doctor_finds_a_dropped_event_a_missing_hook_file_and_disabled_hooks(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    settings = project / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    del data["hooks"]["SessionEnd"]
    settings.write_text(json.dumps(data))
    [command] = install.registered_events(str(project))["Stop"]
    script = shlex.split(command)[1]
    os.unlink(script)
    (project / ".claude" / "settings.local.json").write_text(json.dumps({"disableAllHooks": True}))
    code, report = doctor(project, "--no-sample")
    assert code == 1
    assert checks(report, "hooks registered")[0]["detail"].endswith(": SessionEnd")
    [broken] = checks(report, "hook commands")
    assert broken["status"] == "fail" and script in broken["detail"] and "(Stop)" in broken["detail"]
    [disabled] = checks(report, "hooks enabled")
    assert "settings.local.json" in disabled["detail"] and "disableAllHooks" in disabled["fix"]
    (project / ".claude" / "settings.local.json").unlink()
    follow(broken["fix"])
    code, report = doctor(project, "--no-sample")
    assert code == 0, report


def test_doctor_runs_the_registered_hook_and_reports_when_it_fails(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    settings = project / ".claude" / "settings.json"
    data = json.loads(settings.read_text())
    data["hooks"]["PreToolUse"][0]["hooks"][0]["command"] = f"{shlex.quote(sys.executable)} -c 'import sys; sys.exit(3)' # hookledger"
    settings.write_text(json.dumps(data))
    code, report = doctor(project)
    [sample] = checks(report, "latency sample")
    assert code == 1 and sample["status"] == "fail" and "exited 3" in sample["detail"]


def test_doctor_reports_events_stuck_in_the_spool(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    db = project / ".claude-session.db"
    blocker = sqlite3.connect(str(db), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the ledger past the hook's budget
    payload = load_fixture("PreToolUse__Bash", project) | {"session_id": B_SUBAGENT, "tool_use_id": "toolu_spooled"}
    proc = run_hook("PreToolUse", payload, project, env={"HOOKLEDGER_BUSY_TIMEOUT_MS": "50"})
    blocker.execute("ROLLBACK")
    blocker.close()
    assert proc.returncode == 0 and b"spooled" in proc.stderr
    code, report = doctor(project, "--no-sample")
    [backlog] = checks(report, "spool backlog")
    assert code == 1 and backlog["status"] == "warn" and backlog["detail"].startswith("1 event(s) waiting")
    follow(backlog["fix"])
    code, report = doctor(project, "--no-sample")
    assert code == 0 and checks(report, "spool backlog")[0]["detail"] == "empty"
    assert rows(project, "SELECT replayed FROM hook_events WHERE tool_use_id = 'toolu_spooled'") == [{"replayed": 1}]


def test_doctor_flags_a_ledger_from_a_newer_hookledger(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    code, report = doctor(project, "--no-sample")
    [schema] = checks(report, "schema version")
    assert code == 1 and schema["status"] == "fail" and "newer hookledger" in schema["detail"]


def test_doctor_flags_a_corrupt_ledger(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    db = project / ".claude-session.db"
    data = bytearray(db.read_bytes())
    page = 4096
    data[page * 3: page * 3 + 600] = b"\xde\xad" * 300  # scribble over a b-tree page
    db.write_bytes(bytes(data))
    code, report = doctor(project, "--no-sample")
    problems = [c for c in report["checks"] if c["name"].startswith("ledger") and c["status"] == "fail"]
    assert code == 1 and problems and ".recover" in problems[0]["fix"]


def test_doctor_flags_old_data_and_prune_fixes_it(recorded, tmp_path):
    project = installed_project(recorded, tmp_path)
    age_sessions(str(project / ".claude-session.db"), [B_SUBAGENT], days=200)
    code, report = doctor(project, "--no-sample")
    [old] = checks(report, "retention")
    assert code == 1 and old["status"] == "warn" and old["detail"].startswith("1 session(s) older")
    follow(old["fix"])
    code, report = doctor(project, "--no-sample")
    assert code == 0 and not checks(report, "retention")


def test_doctor_before_anything_was_recorded(project):
    """A fresh install: no ledger yet is not a problem; no hooks registered is."""
    code, report = doctor(project)
    assert code == 1 and checks(report, "ledger")[0]["status"] == "ok"
    assert checks(report, "hooks registered")[0]["status"] == "fail"
    assert checks(report, "latency sample")[0]["status"] == "ok"
    assert not (project / ".claude-session.db").exists()  # doctor created nothing
    follow(f"hookledger install {project}")
    assert doctor(project)[0] == 0


def test_doctor_reports_the_claude_code_version_that_ran_the_hooks(recorded, tmp_path):
    """From the transcripts of a recorded ledger; then a newer Claude Code starts a session
    (its version in the hooks' environment): doctor warns and names the e2e command to try it."""
    from hookledger.knowledge.claude_code import NEWEST_PASSED

    project = installed_project(recorded, tmp_path)
    code, report = doctor(project, "--no-sample")
    [found] = checks(report, "claude code")
    assert code == 0 and found["status"] == "ok"
    assert found["detail"].startswith("2.1.197 ran the hooks last") and NEWEST_PASSED in found["detail"]
    start = load_fixture("SessionStart__startup", project)
    start["session_id"] = "00000000-newer-claude-code"
    major = int(NEWEST_PASSED.split(".")[0]) + 1
    proc = run_hook("SessionStart", start, project, env={"AI_AGENT": f"claude-code_{major}-0-1_harness"})
    assert proc.returncode == 0, proc.stderr
    code, report = doctor(project, "--no-sample")
    [found] = checks(report, "claude code")
    assert code == 1 and found["status"] == "warn"
    assert found["detail"].startswith(f"{major}.0.1 ran the hooks last (session 00000000")
    assert found["fix"] == f"in a hookledger checkout: HOOKLEDGER_E2E_CLAUDE_VERSION={major}.0.1 ./dev e2e"
    text = hookledger("doctor", "--project", str(project), "--no-sample").stdout
    assert "WARN  claude code" in text and f"newer than {NEWEST_PASSED}" in text
