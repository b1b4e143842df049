"""A hostile repository: links planted at the ledger, its WAL/SHM and the spool; poisoned
spool records of many shapes. Through the real hooks, nothing outside the project is touched,
no hook breaks or blocks, and every event ends up in the ledger or in a spool that replays."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, load_fixture, rows, run_hook

DB = ".claude-session.db"
SPOOL = DB + ".spool"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def foreign_app_db(path: Path) -> Path:
    """Another application's SQLite database, with its own schema version."""
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    return path


def fallback_spool(home: Path) -> list[Path]:
    return sorted(home.glob("spool/*/*.event.json"))


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    return subprocess.run([sys.executable, "-m", "hookledger", *args], capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(ROOT / "lib")}, timeout=120)


def run_events(project: Path, n: int = 3) -> list[subprocess.CompletedProcess]:
    out = [run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)]
    for i in range(n - 1):
        payload = load_fixture("PreToolUse__Write", project)
        payload["tool_use_id"] = f"toolu_hostile_{i}"
        out.append(run_hook("PreToolUse", payload, project))
    return out


def assert_one_line_each(procs: list[subprocess.CompletedProcess]) -> None:
    for proc in procs:
        assert proc.returncode == 0 and proc.stdout == b""
        assert len(proc.stderr.decode().strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize("planted", ["ledger", "wal", "shm", "journal"])
def test_link_to_another_apps_database_is_never_opened(project, tmp_path, planted):
    other = foreign_app_db(tmp_path / "other-app.sqlite")
    before = digest(other)
    name = {"ledger": DB, "wal": DB + "-wal", "shm": DB + "-shm", "journal": DB + "-journal"}[planted]
    (project / name).symlink_to(other)
    procs = run_events(project)
    assert_one_line_each(procs)
    assert "symbolic link" in procs[0].stderr.decode() and "doctor" in procs[0].stderr.decode()
    assert digest(other) == before
    conn = sqlite3.connect(f"file:{other}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    conn.close()
    assert not (project / SPOOL).exists()  # the project's folder is not trusted either
    home = Path(os.environ["HOOKLEDGER_HOME"])
    assert len(fallback_spool(home)) == 3
    # doctor names the problem and the fix; following it brings every event back
    doctor = json.loads(cli("doctor", "--project", str(project), "--no-sample", "--json").stdout)
    [check] = [c for c in doctor["checks"] if c["name"] == "ledger path"]
    assert check["status"] == "fail" and name in check["detail"] and check["fix"].startswith("rm ")
    (project / name).unlink()
    run_hook("Stop", load_fixture("Stop__default", project), project)
    assert digest(other) == before
    assert rows(project, "SELECT count(*) AS n, sum(replayed) AS r FROM hook_events") == [{"n": 4, "r": 3}]
    assert fallback_spool(home) == []
    assert stat.S_IMODE(os.stat(project / DB).st_mode) == 0o600


def test_dangling_link_creates_nothing_outside(project, tmp_path):
    outside = tmp_path / "elsewhere" / "made-by-hook.db"
    outside.parent.mkdir()
    (project / DB).symlink_to(outside)
    assert_one_line_each(run_events(project, 2))
    assert not outside.exists()
    assert len(fallback_spool(Path(os.environ["HOOKLEDGER_HOME"]))) == 2


def test_link_to_an_empty_file_leaves_it_empty(project, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    (project / DB).symlink_to(empty)
    assert_one_line_each(run_events(project, 2))
    assert empty.read_bytes() == b"" and not Path(f"{empty}-wal").exists()


def test_fifo_at_the_ledger_path_does_not_block(project):
    os.mkfifo(project / DB)
    started = time.monotonic()
    procs = run_events(project, 2)
    assert time.monotonic() - started < 10
    assert_one_line_each(procs)
    assert "FIFO" in procs[0].stderr.decode()
    assert len(fallback_spool(Path(os.environ["HOOKLEDGER_HOME"]))) == 2


def test_hard_link_to_another_file_is_refused(project, tmp_path):
    other = foreign_app_db(tmp_path / "other.sqlite")
    os.link(other, project / DB)
    before = digest(other)
    assert_one_line_each(run_events(project, 2))
    assert digest(other) == before


def test_spool_folder_link_is_not_used_and_foreign_tmp_files_survive(project, tmp_path):
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    foreign = tmp_path / "foreign-dir"
    foreign.mkdir()
    old_tmp = foreign / ".0000000000000001-1-00000000.tmp"  # our own name pattern, even
    old_tmp.write_text("theirs")
    their_file = foreign / "cache.tmp"
    their_file.write_text("theirs")
    for f in (old_tmp, their_file):
        os.utime(f, (time.time() - 10 * 86400,) * 2)
    (project / SPOOL).symlink_to(foreign)
    lock = sqlite3.connect(str(project / DB), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        proc = run_hook("PreToolUse", load_fixture("PreToolUse__Bash", project), project,
                        env={"HOOKLEDGER_BUSY_TIMEOUT_MS": "100"})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert proc.returncode == 0 and b"spooled" in proc.stderr
    assert sorted(p.name for p in foreign.iterdir()) == sorted([old_tmp.name, their_file.name])
    home = Path(os.environ["HOOKLEDGER_HOME"])
    assert len(fallback_spool(home)) == 1
    run_hook("Stop", load_fixture("Stop__default", project), project)  # replays from the fallback
    assert sorted(p.name for p in foreign.iterdir()) == sorted([old_tmp.name, their_file.name])
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE replayed = 1") == [{"n": 1}]
    doctor = json.loads(cli("doctor", "--project", str(project), "--no-sample", "--json").stdout)
    assert [c["status"] for c in doctor["checks"] if c["name"] == "spool path"] == ["fail"]


def test_tmp_sweep_touches_only_stale_files_of_ours(project):
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    spool = project / SPOOL
    lock = sqlite3.connect(str(project / DB), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:  # a spooled event: the next hook replays it, then sweeps
        run_hook("PreToolUse", load_fixture("PreToolUse__Bash", project), project, env={"HOOKLEDGER_BUSY_TIMEOUT_MS": "50"})
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    ours = spool / ".0000000000000002-2-abcdef01.tmp"
    fresh = spool / ".0000000000000003-3-abcdef02.tmp"
    theirs = spool / "notes.tmp"
    for f in (ours, fresh, theirs):
        f.write_text("x")
    for f in (ours, theirs):
        os.utime(f, (time.time() - 2 * 86400,) * 2)
    (spool / "link.tmp").symlink_to(theirs)
    run_hook("Stop", load_fixture("Stop__default", project), project)
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE replayed = 1") == [{"n": 1}]
    assert sorted(p.name for p in spool.iterdir()) == sorted([fresh.name, theirs.name, "link.tmp"])


def poisoned_records(project: Path, outside: Path) -> dict[str, bytes | None]:
    """name -> content of spool files that can never be replayed (None: made otherwise)."""
    good = {"event_uid": "00000000000000aa-1-00000001", "event": "Stop", "received_at": "2026-01-01 00:00:00.000",
            "process": False, "payload": None, "audit": {"event_type": "Stop", "outcome": "ok"}}
    shapes: dict[str, object] = {
        "empty-object": {}, "list": [good], "string": "hello", "null": None, "number": 5,
        "uid-not-string": {**good, "event_uid": 12345},
        "uid-path": {**good, "event_uid": "../../etc/passwd"},
        "no-audit": {k: v for k, v in good.items() if k != "audit"},
        "audit-list": {**good, "audit": ["x"]},
        "audit-dict-value": {**good, "audit": {"event_type": "Stop", "payload_summary": {"x": 1}}},
        "audit-huge-int": {**good, "audit": {"event_type": "Stop", "exit_code": 10 ** 30}},
        "audit-other-event": {**good, "audit": {"event_type": "PreToolUse"}},
        "no-event": {k: v for k, v in good.items() if k != "event"},
        "unknown-event": {**good, "event": "DropTables", "audit": {}},
        "no-received-at": {k: v for k, v in good.items() if k != "received_at"},
        "bad-received-at": {**good, "received_at": "yesterday"},
        "payload-list": {**good, "payload": [1, 2], "process": True},
        "process-without-payload": {**good, "process": True},
        "payload-wrong-event": {**good, "process": True, "payload": {"hook_event_name": "PreToolUse",
                                                                     "session_id": "s", "cwd": "/"}},
        "payload-bad-types": {**good, "process": True, "payload": {"hook_event_name": "Stop", "session_id": 5}},
        "prepared-string": {**good, "prepared": "x"},
    }
    out: dict[str, bytes | None] = {k: json.dumps(v).encode() for k, v in shapes.items()}
    out["truncated"] = json.dumps(good).encode()[:40]
    out["not-utf8"] = b"\xff\xfe{\"event\": \"Stop\"}"
    out["nan"] = json.dumps(good).replace('"ok"', "NaN").encode()
    out["deep"] = b"[" * 100000 + b"]" * 100000
    out["oversized"] = b'{"pad": "' + b"x" * (17 << 20) + b'"}'
    out["surrogate"] = json.dumps({**good, "audit": {"event_type": "Stop", "error": "\ud800"}}).encode()
    out["directory"] = None
    out["fifo"] = None
    out["link-outside"] = None
    return out


def test_poisoned_spool_never_stops_recording(project, tmp_path):
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    spool = project / SPOOL
    spool.mkdir(mode=0o700)
    outside = tmp_path / "outside.json"
    outside.write_text('{"not": "yours"}')
    # valid spooled events before and after the poison: both must be replayed
    lock = sqlite3.connect(str(project / DB), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        for i in range(2):
            payload = load_fixture("PreToolUse__Write", project)
            payload["tool_use_id"] = f"toolu_valid_{i}"
            assert b"spooled" in run_hook("PreToolUse", payload, project, env={"HOOKLEDGER_BUSY_TIMEOUT_MS": "50"}).stderr
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    valid = sorted(spool.glob("*.event.json"))
    # one valid record sorts first, the other after every poisoned one
    valid[0].rename(spool / ("0" * 16 + "-0-00000000.event.json"))
    valid[1].rename(spool / ("f" * 16 + "-f-ffffffff.event.json"))
    poisons = poisoned_records(project, outside)
    for i, (name, content) in enumerate(poisons.items()):
        path = spool / f"{i + 1:016x}-{name}.event.json"
        if name == "directory":
            path.mkdir()
        elif name == "fifo":
            os.mkfifo(path)
        elif name == "link-outside":
            path.symlink_to(outside)
        else:
            path.write_bytes(content or b"")
    # status and doctor read the spool first: neither crashes on it
    status = cli("status", "--project", str(project), "--json")
    assert status.returncode == 0, status.stderr
    started = time.monotonic()
    proc = run_hook("Stop", load_fixture("Stop__default", project), project)
    assert proc.returncode == 0 and proc.stdout == b"", proc.stderr
    assert time.monotonic() - started < 15
    # the current event, and every replayable one, are in the ledger
    replay = cli("status", "--project", str(project), "--replay-spool")
    assert replay.returncode == 0, replay.stderr
    assert "Traceback" not in replay.stderr
    tools = {r["tool_use_id"] for r in rows(project, "SELECT tool_use_id FROM hook_events WHERE replayed = 1")}
    assert tools == {"toolu_valid_0", "toolu_valid_1"}
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE event_type = 'Stop' AND replayed = 0") == [{"n": 1}]
    assert list(spool.glob("*.event.json")) == []
    notes = sorted((spool / "quarantine").glob("*.json"))
    assert len(notes) == len(poisons)
    assert all(json.loads(n.read_text())["reason"] for n in notes)
    assert outside.read_text() == '{"not": "yours"}'
    assert stat.S_IMODE(os.stat(spool / "quarantine").st_mode) == 0o700
    assert {stat.S_IMODE(os.stat(n).st_mode) for n in notes} == {0o600}
    # a later hook is not slowed or stopped by the quarantine; status and doctor report it
    assert run_hook("Stop", load_fixture("Stop__default", project), project).returncode == 0
    found = json.loads(cli("status", "--project", str(project), "--json").stdout)
    assert found["spool_quarantined"] == len(poisons) and found["spool_backlog"] == 0
    doctor = json.loads(cli("doctor", "--project", str(project), "--no-sample", "--json").stdout)
    [check] = [c for c in doctor["checks"] if c["name"] == "spool quarantine"]
    assert check["status"] == "warn" and str(len(poisons)) in check["detail"]


def test_event_spooled_by_an_internal_error_keeps_its_payload(project):
    """The watchdog gives up mid-run (here: while the first hook creates and migrates the
    ledger, with a deadline far too short for that): the spooled record keeps the payload, and
    the replay applies the handlers' effects."""
    payload = load_fixture("PreToolUse__Write", project)
    payload["tool_use_id"] = "toolu_deadline"
    proc = run_hook("PreToolUse", payload, project, env={"HOOKLEDGER_DEADLINE_S": "0.02"})
    assert proc.returncode == 0 and b"no answer within" in proc.stderr and b"spooled" in proc.stderr
    [spooled] = (project / SPOOL).glob("*.event.json")
    record = json.loads(spooled.read_text())
    assert record["payload"]["tool_use_id"] == "toolu_deadline" and record["process"] is True
    run_hook("Stop", load_fixture("Stop__default", project), project)
    claims = rows(project, "SELECT tool_use_id, status FROM file_claims WHERE tool_use_id = 'toolu_deadline'")
    assert claims == [{"tool_use_id": "toolu_deadline", "status": "held"}]
    [event] = rows(project, "SELECT outcome, replayed FROM hook_events WHERE tool_use_id = 'toolu_deadline'")
    assert event == {"outcome": "error", "replayed": 1}


def test_fifo_planted_as_a_manifest_does_not_block_session_start(project):
    os.mkfifo(project / "package.json")
    started = time.monotonic()
    proc = run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    assert proc.returncode == 0 and time.monotonic() - started < 5
    assert rows(project, "SELECT outcome FROM hook_events") == [{"outcome": "ok"}]


@pytest.mark.parametrize("via", ["linked folder", "linked file"])
def test_a_link_and_its_target_are_one_file_for_claims(project, via):
    """Two agents editing one file, one through a symlink: a conflict, denied by policy."""
    from test_claims import answer, configure, start, write_call

    (project / "src").mkdir()
    (project / "src" / "core.py").write_text("x = 1\n")
    if via == "linked folder":
        (project / "alias").symlink_to(project / "src")
        other = "alias/core.py"
    else:
        (project / "core_link.py").symlink_to(project / "src" / "core.py")
        other = "core_link.py"
    configure(project, policy="deny")
    start(project, "agentA")
    start(project, "agentB")
    assert answer(run_hook("PreToolUse", write_call(project, "agentA", "src/core.py"), project)) is None
    out = answer(run_hook("PreToolUse", write_call(project, "agentB", other), project))
    assert out["permissionDecision"] == "deny"
    assert rows(project, "SELECT DISTINCT file_path FROM file_claims") == [{"file_path": "src/core.py"}]


def test_another_apps_database_copied_in_is_not_migrated(project, tmp_path):
    """Not a link but a copy at the ledger path: still not ours to migrate."""
    foreign_app_db(project / DB)
    before = digest(project / DB)
    procs = run_events(project, 2)
    assert_one_line_each(procs)
    assert "another application's database" in procs[0].stderr.decode()
    assert digest(project / DB) == before
    assert len(fallback_spool(Path(os.environ["HOOKLEDGER_HOME"]))) == 2


def test_quarantine_folder_planted_as_a_link(project, tmp_path):
    """The poisoned file cannot be set aside into a linked folder: it is dropped, the linked
    folder stays untouched, and recording goes on."""
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    spool = project / SPOOL
    spool.mkdir(mode=0o700)
    foreign = tmp_path / "foreign-quarantine"
    foreign.mkdir()
    (spool / "quarantine").symlink_to(foreign)
    (spool / "0000000000000001-1-00000001.event.json").write_text("{}")
    for _ in range(2):
        assert run_hook("Stop", load_fixture("Stop__default", project), project).returncode == 0
    assert list(foreign.iterdir()) == [] and list(spool.glob("*.event.json")) == []
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE event_type = 'Stop'") == [{"n": 2}]
