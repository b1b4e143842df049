"""`hookledger sync` through click: summary, dry run, the progress display; and the detached
SessionEnd auto sync, measured from the real hook."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

import sync_support as s
from conftest import load_fixture, run_hook
from hookledger.faces.cli import cli
from hookledger.handlers import autosync as auto
from hookledger.hotpath import detached
from hookledger.faces.progress import MIN_UNITS as MIN_ROWS, starter

LIB = Path(__file__).resolve().parents[1] / "lib"
SESSION_END_BUDGET_S = 1.5  # Claude Code's budget shared by all SessionEnd hooks


def test_cli_sync_summary_then_nothing_new(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    args = ["sync", "--to", "massu", "--target-db", str(target), "--project", str(project), "--db", str(ledger)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "observations:" in first.output and "inserted" in first.output
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0 and "nothing new" in second.output


def test_cli_dry_run_and_bad_ledger(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "tx.db"
    dry = CliRunner().invoke(cli, ["sync", "--to", "teamx", "--target-db", str(target), "--db", str(ledger), "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("Would write") and not target.exists()
    missing = CliRunner().invoke(cli, ["sync", "--to", "teamx", "--target-db", str(target), "--db", str(tmp_path / "no.db")])
    assert missing.exit_code != 0 and "no ledger" in missing.output


# ---------------------------------------------------------------- progress


def big_ledger(tmp_path: Path, events: int) -> tuple[Path, Path]:
    """The test ledger plus `events` more hook events: a sync large enough for a progress display."""
    ledger, project = s.setup(tmp_path)
    conn = s.connect(str(ledger))
    for i in range(events):
        s.insert(conn, "hook_events", session_id=s.SID_B, timestamp=s.ago(500 - i * 0.01), event_type="PostToolUse",
                 dispatcher="PostToolUse", payload_summary=json.dumps({"tool_name": "Read", "tool_input": {"file_path": f"f{i}"}}),
                 exit_code=0, duration_ms=3, event_uid=f"bulk-{i}", agent_id=None, tool_name="Read",
                 tool_use_id=f"toolu_bulk_{i}", outcome="ok", replayed=0)
    conn.close()
    return ledger, project


def cli_sync(ledger: Path, project: Path, target: Path, *extra: str, stderr=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(LIB)}
    return subprocess.run([sys.executable, "-m", "hookledger", "sync", "--to", "codewalkers", "--target-db", str(target),
                           "--project", str(project), "--db", str(ledger), *extra],
                          stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, timeout=120)


def test_progress_only_when_asked_outside_a_terminal(tmp_path):
    ledger, project = big_ledger(tmp_path, MIN_ROWS)
    plain = cli_sync(ledger, project, tmp_path / "a.db")
    assert plain.returncode == 0 and plain.stderr == "" and plain.stdout.startswith("Wrote")
    asked = cli_sync(ledger, project, tmp_path / "b.db", "--progress")
    lines = asked.stderr.splitlines()
    assert asked.returncode == 0 and asked.stdout.startswith("Wrote") and "Syncing" not in asked.stdout
    assert lines[-1].startswith("Syncing codewalkers: ") and "(100%)" in lines[-1]
    assert 2 <= len(lines) <= 11  # a line per tenth, not per batch
    quiet = cli_sync(ledger, project, tmp_path / "c.db", "--progress", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_progress_on_a_terminal_for_a_large_sync(tmp_path):
    ledger, project = big_ledger(tmp_path, MIN_ROWS)
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hookledger", "sync", "--to", "codewalkers", "--target-db",
                             str(tmp_path / "cw.db"), "--project", str(project), "--db", str(ledger)],
                            stdout=subprocess.PIPE, stderr=slave, text=True, env={**os.environ, "PYTHONPATH": str(LIB)})
    os.close(slave)
    seen = b""
    while proc.poll() is None or select.select([master], [], [], 0)[0]:
        if select.select([master], [], [], 0.1)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    os.close(master)
    assert proc.wait() == 0 and proc.stdout.read().startswith("Wrote")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode())  # colours and cursor moves off
    # a rich bar, redrawn in place: the label, the bar's end state with every row counted
    done = re.findall(r"(\d+)/(\d+) rows", text)
    assert "Syncing codewalkers" in text and "100%" in text and text.count("\n") <= 3
    assert done and done[-1][0] == done[-1][1] and int(done[-1][1]) >= MIN_ROWS


def test_progress_display_rules():
    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    assert starter(stream=Stream(True))("x", MIN_ROWS - 1) is None  # small: not worth a display
    assert starter(stream=Stream(False))("x", MIN_ROWS) is None  # a pipe: only when asked
    assert starter(stream=Stream(True), quiet=True)("x", MIN_ROWS) is None
    assert starter(stream=Stream(True), force=True)("x", 0) is None
    piped = Stream(False)
    bar = starter(stream=piped, force=True)("Syncing x", 50)
    for _ in range(50):
        bar(1)
    bar.close()
    lines = piped.getvalue().splitlines()
    assert len(lines) == 11 and lines[0].startswith("Syncing x: 1/50") and lines[-1].startswith("Syncing x: 50/50 rows (100%)")


# ---------------------------------------------------------------- automatic sync at SessionEnd


def test_auto_sync_spawns_detached_after_the_hook_and_returns_fast(tmp_path, monkeypatch):
    ledger, project = s.setup(tmp_path)
    spawned = []

    class FakePopen:
        def __init__(self, argv, **kw):
            spawned.append((argv, kw))

    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    config = {"sync": {"auto": [{"to": "massu", "target_db": "memory.db"}, {"to": "nope", "target_db": "x"}]}}
    started = time.perf_counter()
    assert auto.spawn_auto_sync(str(project), str(ledger), config) == 1
    assert time.perf_counter() - started < 0.05
    argv, kw = spawned[0]
    assert argv[argv.index("--to") + 1] == "massu" and argv[argv.index("--target-db") + 1] == str(project / "memory.db")
    assert argv[argv.index("--after-pid") + 1] == str(os.getpid())  # waits for the hook to commit and exit
    assert kw["start_new_session"] and kw["stdin"] == subprocess.DEVNULL and kw["stderr"] == subprocess.DEVNULL


def test_wait_for_exit():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    threading.Thread(target=child.wait).start()  # reaped as Claude Code reaps a finished hook
    began = time.monotonic()
    assert detached.wait_for_exit(child.pid, timeout=10, poll=0.01) is True
    assert 0.2 < time.monotonic() - began < 5
    assert detached.wait_for_exit(os.getpid(), timeout=0.1) is False  # still alive: gives up at the timeout


def wait_until(check, seconds: float = 30) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return True
        except Exception:  # noqa: BLE001 - the child may be mid-way through creating the target
            pass
        time.sleep(0.1)
    return False


def test_session_end_hook_with_auto_sync_stays_in_budget(project, tmp_path):
    """The real SessionEnd hook, spawn to exit, with all four targets configured: the syncs run
    detached, after the hook committed, so the session's end itself reaches every target."""
    targets = {name: tmp_path / f"{name}.db" for name in ("massu", "flightdeck", "codewalkers", "teamx")}
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps(
        {"sync": {"auto": [{"to": name, "target_db": str(path)} for name, path in targets.items()]}}))
    start = load_fixture("SessionStart__clear", project)
    assert run_hook("SessionStart", start, project).returncode == 0
    end = {**load_fixture("SessionEnd__other", project), "session_id": start["session_id"]}
    walls = []
    for _ in range(3):  # the first SessionEnd spawns the syncs; later ones show the steady cost
        began = time.perf_counter()
        proc = run_hook("SessionEnd", end, project)
        walls.append(time.perf_counter() - began)
        assert proc.returncode == 0 and proc.stderr == b""
    assert max(walls) < SESSION_END_BUDGET_S, walls
    sid = start["session_id"]
    assert wait_until(lambda: s.rows(targets["massu"], "SELECT status FROM sessions WHERE session_id = ?",
                                     (sid,)) == [{"status": "completed"}])
    assert wait_until(lambda: s.rows(targets["teamx"], "SELECT count(*) AS n FROM events WHERE event_type ="
                                                       " 'claude_code.session_end'")[0]["n"] == 3)
    [ended] = s.rows(project / ".claude-session.db", "SELECT end_time FROM agent_registry WHERE id = ?", (f"main:{sid}",))
    assert wait_until(lambda: s.rows(targets["flightdeck"], "SELECT updated_at FROM agent_roster WHERE agent_id = ?",
                                     (f"main:{sid}",)) == [{"updated_at": s.iso_z_at_ts(ended["end_time"])}])
    assert wait_until(lambda: s.rows(targets["codewalkers"], "SELECT status FROM agents WHERE id = ?",
                                     (f"main:{sid}",)) == [{"status": "stopped"}])
    for path in targets.values():
        s.check_constraints(path)
