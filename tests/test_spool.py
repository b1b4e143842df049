"""When the ledger cannot take an event it is spooled, and a later run replays it exactly once."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

from conftest import hook_path, load_fixture, rows, run_hook

FAST_BUSY = {"HOOKLEDGER_BUSY_TIMEOUT_MS": "150"}


def spool_files(project):
    return sorted((project / ".claude-session.db.spool").glob("*.event.json"))


def create_ledger(project):
    proc = run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    assert proc.returncode == 0


def hold_write_lock(project) -> sqlite3.Connection:
    conn = sqlite3.connect(str(project / ".claude-session.db"), isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


def test_locked_ledger_spools_then_next_run_replays(project):
    create_ledger(project)
    lock = hold_write_lock(project)
    payload = load_fixture("PreToolUse__Write", project)
    started = time.monotonic()
    proc = run_hook("PreToolUse", payload, project, env=FAST_BUSY)
    assert time.monotonic() - started < 5
    assert proc.returncode == 0 and proc.stdout == b""
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    assert "spooled" in proc.stderr.decode()
    [spooled] = spool_files(project)
    record = json.loads(spooled.read_text())
    lock.execute("ROLLBACK")
    lock.close()

    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE event_type = 'PreToolUse'")[0]["n"] == 0
    run_hook("Stop", load_fixture("Stop__default", project), project)
    replayed = rows(project, "SELECT * FROM hook_events WHERE event_type = 'PreToolUse'")
    assert len(replayed) == 1
    assert replayed[0]["replayed"] == 1
    assert replayed[0]["event_uid"] == record["event_uid"]
    assert replayed[0]["timestamp"] == record["received_at"]  # when it happened, not when replayed
    assert replayed[0]["tool_use_id"] == payload["tool_use_id"]
    assert spool_files(project) == []


def test_crash_after_replay_commit_does_not_duplicate(project):
    create_ledger(project)
    lock = hold_write_lock(project)
    run_hook("PostToolUse", load_fixture("PostToolUse__Bash", project), project, env=FAST_BUSY)
    lock.execute("ROLLBACK")
    lock.close()
    [spooled] = spool_files(project)
    kept = spooled.read_bytes()
    run_hook("Stop", load_fixture("Stop__default", project), project)
    # Simulate a crash between the replay's commit and the unlink: the file is back.
    spooled.write_bytes(kept)
    run_hook("Stop", load_fixture("Stop__default", project), project)
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE event_type = 'PostToolUse'")[0]["n"] == 1
    assert spool_files(project) == []


def test_half_written_spool_file_is_ignored(project):
    create_ledger(project)
    spool = project / ".claude-session.db.spool"
    spool.mkdir()
    (spool / ".0000-1-abcd.tmp").write_text('{"event_uid": "trunc')  # writer died mid-write
    (spool / "0001-1-garbage.event.json").write_text("not json")  # should never happen; kept aside
    proc = run_hook("Stop", load_fixture("Stop__default", project), project)
    assert proc.returncode == 0
    [note] = (spool / "quarantine").glob("*.json")  # set aside, with why
    assert json.loads(note.read_text())["file"] == "0001-1-garbage.event.json"
    assert json.loads(note.read_text())["content"] == "not json"
    assert not (spool / "0001-1-garbage.event.json").exists()
    assert rows(project, "SELECT count(*) AS n FROM hook_events")[0]["n"] == 2


def test_unopenable_ledger_spools(project, tmp_path):
    bad = tmp_path / "not-a-db"
    bad.write_bytes(b"this is not an sqlite database, it is garbage" * 100)
    proc = run_hook("Stop", load_fixture("Stop__default", project), project, env={"HOOKLEDGER_DB": str(bad)})
    assert proc.returncode == 0 and proc.stdout == b""
    assert "spooled" in proc.stderr.decode()
    assert len(list((tmp_path / "not-a-db.spool").glob("*.event.json"))) == 1


def test_fallback_spool_when_project_dir_unwritable(project, tmp_path):
    db = tmp_path / "dir-not-db"
    db.mkdir()  # sqlite cannot open a directory
    (tmp_path / "dir-not-db.spool").write_text("a file where the spool directory should be")
    proc = run_hook("Stop", load_fixture("Stop__default", project), project, env={"HOOKLEDGER_DB": str(db)})
    assert proc.returncode == 0
    fallback = list((tmp_path / "hookledger-home" / "spool").glob("*/*.event.json"))
    assert len(fallback) == 1, proc.stderr
    # Once the ledger is usable, the fallback spool is replayed into it.
    db.rmdir()
    run_hook("Stop", load_fixture("Stop__default", project), project, env={"HOOKLEDGER_DB": str(db)})
    conn = sqlite3.connect(str(db))
    assert conn.execute("SELECT count(*), sum(replayed) FROM hook_events").fetchone() == (2, 1)
    assert not list((tmp_path / "hookledger-home" / "spool").glob("*/*.event.json"))


def test_parallel_replayers_record_each_spooled_event_once(project):
    create_ledger(project)
    lock = hold_write_lock(project)
    for i in range(10):
        payload = load_fixture("PostToolUse__Bash", project)
        payload["tool_use_id"] = f"toolu_spooled_{i}"
        assert run_hook("PostToolUse", payload, project, env=FAST_BUSY).returncode == 0
    lock.execute("ROLLBACK")
    lock.close()
    assert len(spool_files(project)) == 10
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["CLAUDE_PROJECT_DIR"] = str(project)
    data = json.dumps(load_fixture("Stop__default", project)).encode()
    procs = [subprocess.Popen([sys.executable, str(hook_path("Stop"))], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(6)]
    for p in procs:
        p.communicate(data, timeout=60)
        assert p.returncode == 0
    ids = [r["tool_use_id"] for r in rows(project, "SELECT tool_use_id FROM hook_events WHERE event_type = 'PostToolUse'")]
    assert sorted(ids) == sorted(f"toolu_spooled_{i}" for i in range(10))
    assert spool_files(project) == []


def test_session_end_with_locked_ledger_stays_within_budget(project):
    create_ledger(project)
    lock = hold_write_lock(project)
    started = time.monotonic()
    proc = run_hook("SessionEnd", load_fixture("SessionEnd__other", project), project)
    elapsed = time.monotonic() - started
    lock.execute("ROLLBACK")
    lock.close()
    assert proc.returncode == 0
    assert elapsed < 1.5, f"SessionEnd took {elapsed:.2f}s with the ledger locked"
    assert len(spool_files(project)) == 1


def test_spooled_event_effects_applied_on_replay(project):
    """Replay runs the handlers too: the spooled SessionStart's session row appears."""
    create_ledger(project)
    lock = hold_write_lock(project)
    payload = load_fixture("SessionStart__startup", project)
    payload["session_id"] = "spooled-session"
    run_hook("SessionStart", payload, project, env=FAST_BUSY)
    lock.execute("ROLLBACK")
    lock.close()
    run_hook("Stop", load_fixture("Stop__default", project), project)
    assert rows(project, "SELECT session_id, source FROM sessions WHERE session_id = 'spooled-session'") == [
        {"session_id": "spooled-session", "source": "startup"}]
