"""Shared helpers for tests/test_sync_*.py: a realistic ledger and target inspection.

The ledger is created through the real store (open means migrate), then filled the way the
handlers fill it: two Claude sessions (one ended, one live with subagents), an orphan session
seen only in hook_events/failed_paths, claims, errors, failed paths, snapshots, verdicts, tasks.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from hookledger.store.conn import connect
from hookledger.hotpath.timeutil import utc_now

FOREIGN = Path(__file__).parent / "fixtures" / "foreign"

SID_A = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"  # ended an hour ago
SID_B = "16844d04-f039-4e79-b808-175a142b454b"  # live, with subagents
SID_C = "653000e5-5ec8-4bd1-8e55-ed16fefd33d1"  # only in hook_events / failed_paths
SUB_LIVE = "aff41339c1597efe4"
SUB_DONE = "b0c1d2e3f4a5b6c7d"
SECRET = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv"
# The coordination server's ActionType enum (packages/shared/src/domain/activity.ts): an
# activity_log row with any other action_type fails its schema when the server reads it back.
FLIGHTDECK_ACTION_TYPES = {
    "file_edit", "file_read", "decision_made", "task_started", "task_completed", "sub_agent_spawned",
    "agent_terminated", "lock_acquired", "lock_released", "lock_denied", "message_sent", "delegated",
    "delegation_cancelled", "status_change", "heartbeat_halted", "limit_change_requested", "deferred_issue",
    "group_message", "agent_interrupted", "error"}


def ago(seconds: float, now: float | None = None) -> str:
    return utc_now((now or time.time()) - seconds)


def insert(conn: sqlite3.Connection, table: str, **row: Any) -> int:
    """Insert a row as given, past the ledger connection's redaction (sqlite3's own execute):
    the tests plant raw secrets the way a ledger written by an older hookledger holds them."""
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    return sqlite3.Connection.execute(conn, f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values())).lastrowid


def build_ledger(path: Path, project: str, now: float | None = None) -> sqlite3.Connection:
    """A ledger with every table sync reads, filled with two sessions' worth of activity."""
    now = now or time.time()
    conn = connect(str(path))
    t = lambda s: ago(s, now)  # noqa: E731
    insert(conn, "sessions", session_id=SID_A, project_dir=project, started_at=t(7200), ended_at=t(3600),
           end_reason="logout", source="startup", model="claude-opus-4-1", last_event_at=t(3600), status="ended")
    insert(conn, "sessions", session_id=SID_B, project_dir=project, started_at=t(600), source="startup",
           model="claude-sonnet-4-5", last_event_at=t(5), status="active")
    insert(conn, "agent_registry", id=SUB_LIVE, session_id=SID_B, agent_type="general-purpose",
           task_description="Write sub.txt", spawn_time=t(120), status="running")
    insert(conn, "agent_registry", id=SUB_DONE, session_id=SID_B, agent_type="Explore",
           task_description="Find the tests", spawn_time=t(500), end_time=t(400), status="completed",
           files_changed='["tests/test_app.py"]')
    main_a, main_b = f"main:{SID_A}", f"main:{SID_B}"
    claim = lambda sid, agent, path, op, age, **kw: insert(  # noqa: E731
        conn, "file_claims", session_id=sid, agent_id=agent, file_path=path, operation=op, timestamp=t(age),
        status=kw.get("status", "held"), phase=kw.get("phase", "done"), released_at=kw.get("released_at"))
    claim(SID_A, main_a, f"{project}/src/app.py", "Write", 7000, released_at=t(3600))
    claim(SID_A, main_a, f"{project}/src/app.py", "Edit", 6900, released_at=t(3600))
    claim(SID_B, main_b, f"{project}/src/live.py", "Edit", 60)
    claim(SID_B, SUB_LIVE, f"{project}/sub.txt", "Write", 30)
    claim(SID_B, SUB_LIVE, f"{project}/src/contested.py", "Edit", 20)
    claim(SID_B, SUB_LIVE, f"{project}/src/never.py", "Write", 10, phase="failed")  # the Write call failed
    insert(conn, "failed_paths", session_id=SID_A, timestamp=t(6500), file_path=f"{project}/src/app.py",
           approach="parse dates with a regex", reason_failed="breaks on ISO weeks", context="tests/test_dates.py", still_relevant=1)
    insert(conn, "failed_paths", session_id=SID_C, timestamp=t(9000), file_path=None,
           approach="pin numpy<2", reason_failed="conflicts with pandas", still_relevant=0)
    insert(conn, "error_log", session_id=SID_A, timestamp=t(6000), task_id="1", agent_id=main_a, file_path=f"{project}/src/app.py",
           error_category="lint", error_message=f"E501 line too long; token={SECRET}", attempt_number=3,
           resolution="escalated_user", escalation="escalated_user", tool_name="Bash", command="ruff check src",
           signature="ruff check src")
    insert(conn, "error_log", session_id=SID_B, timestamp=t(90), agent_id=SUB_LIVE, file_path=None,
           error_category="runtime", error_message="Exit code 1: ModuleNotFoundError", attempt_number=1,
           resolution="auto_fixed", resolved_at=t(80), tool_name="Bash", command="python -m app", signature="python -m app")
    # snapshot content as snapshots.collect writes it
    failed = [{"id": 1, "approach": "parse dates with a regex", "reason": "breaks on ISO weeks",
               "file_path": f"{project}/src/app.py", "session_id": SID_A}]
    insert(conn, "context_snapshots", session_id=SID_A, timestamp=t(5000), snapshot_type="pre_compact",
           content=json.dumps({"session_id": SID_A, "unresolved_errors": [], "failed_paths": failed,
                               "tasks": [{"task_id": "1", "subject": "Add login form", "status": "in_progress"}],
                               "files_touched": ["src/app.py"], "snapshot_type": "pre_compact"}))
    insert(conn, "context_snapshots", session_id=SID_A, timestamp=t(3600), snapshot_type="session_end",
           content=json.dumps({"session_id": SID_A, "failed_paths": failed, "tasks": [], "files_touched": ["src/app.py"],
                               "unresolved_errors": [{"category": "lint", "command": "ruff check src", "message": "E501"}],
                               "snapshot_type": "session_end"}))
    insert(conn, "tasks", session_id=SID_A, task_id="1", subject="Add login form", status="completed",
           created_at=t(7100), updated_at=t(3700), completed_at=t(3700))
    insert(conn, "tasks", session_id=SID_B, task_id="1", subject="Fix flaky tests", status="in_progress",
           agent_id=SUB_LIVE, created_at=t(300), updated_at=t(100))
    insert(conn, "llm_verdicts", session_id=SID_A, timestamp=t(3700), hook_event="TaskCompleted", task_id="1",
           verdict_json='{"ok": true}', decision="allow", reason="tests pass")
    insert(conn, "llm_verdicts", session_id=SID_B, timestamp=t(50), hook_event="TaskCompleted", task_id="1",
           verdict_json='{"ok": false}', decision="block", reason="2 tests still fail")
    events = [
        (SID_A, 7200, "SessionStart", None, None, None, "ok", None),
        (SID_A, 7150, "UserPromptSubmit", None, None, None, "ok", None),
        (SID_A, 7001, "PreToolUse", None, "Write", "toolu_A1", "ok", None),
        (SID_A, 7000, "PostToolUse", None, "Write", "toolu_A1", "ok", None),
        (SID_A, 6001, "PreToolUse", None, "Bash", "toolu_A2", "ok", None),
        (SID_A, 6000, "PostToolUseFailure", None, "Bash", "toolu_A2", "ok", f"exit 1 {SECRET}"),
        (SID_A, 5500, "PreToolUse", None, "Bash", "toolu_A3", "blocked", None),
        (SID_A, 5000, "PreCompact", None, None, None, "ok", None),
        (SID_A, 3700, "Stop", None, None, None, "ok", None),
        (SID_A, 3600, "SessionEnd", None, None, None, "ok", None),
        (SID_B, 600, "SessionStart", None, None, None, "ok", None),
        (SID_B, 120, "SubagentStart", SUB_LIVE, None, None, "ok", None),
        (SID_B, 31, "PreToolUse", SUB_LIVE, "Write", "toolu_B1", "ok", None),
        (SID_B, 30, "PostToolUse", SUB_LIVE, "Write", "toolu_B1", "ok", None),
        (SID_B, 5, "Stop", None, None, None, "ok", None),
        (SID_C, 9000, "SessionStart", None, None, None, "ok", None),
    ]
    for i, (sid, age, event, agent, tool, tuid, outcome, error) in enumerate(events):
        insert(conn, "hook_events", session_id=sid, timestamp=t(age), event_type=event, dispatcher=event,
               payload_summary=json.dumps({"hook_event_name": event, "tool_name": tool,
                                           "cmd": f"curl -H 'Authorization: Bearer {SECRET}'",
                                           **({"prompt": "Add a login form"} if event == "UserPromptSubmit" else {})}),
               exit_code=0, duration_ms=12 + i, event_uid=f"uid-{i}", agent_id=agent, tool_name=tool,
               tool_use_id=tuid, outcome=outcome, error=error, replayed=0)
    return conn


def iso_z_at_ts(ts: str) -> str:
    """A ledger timestamp as the 'Z' text the ISO targets store."""
    from hookledger.sync.base import iso_z

    return iso_z(ts) or ""


def open_target(path: Path | str, **kw: Any) -> sqlite3.Connection:
    """Every test connection to a target runs with foreign keys ON, as the real systems do."""
    conn = sqlite3.connect(str(path), **kw)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def target_conn(path: Path) -> sqlite3.Connection:
    conn = open_target(path)
    conn.row_factory = sqlite3.Row
    return conn


def make_target(path: Path, fixture: str, **subs: str) -> Path:
    """A target as its own system made it: the fixture's DDL (and rows) from tests/fixtures/foreign,
    with `{NAME}` placeholders replaced by `subs` (times relative to now, project paths)."""
    sql = (FOREIGN / fixture).read_text()
    for name, value in subs.items():
        sql = sql.replace("{" + name + "}", value)
    conn = open_target(path)
    conn.executescript(sql)
    conn.commit()
    conn.close()
    return path


def table_counts(path: Path) -> dict[str, int]:
    conn = target_conn(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%fts%'"
                                        " AND name NOT LIKE 'sqlite_%'")]
    out = {n: conn.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0] for n in names}
    conn.close()
    return out


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, for exact before/after comparisons."""
    conn = open_target(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                                        " AND name NOT LIKE '%fts_%'")]
    out = {n: sorted(map(tuple, conn.execute(f"SELECT * FROM [{n}]")), key=repr) for n in names}
    conn.close()
    return out


def fk_violations(path: Path) -> list[tuple]:
    conn = target_conn(path)
    rows = [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")]
    conn.close()
    return rows


def check_constraints(path: Path) -> None:
    """Foreign keys (checked with foreign_keys ON) and the file's integrity both hold."""
    conn = target_conn(path)
    try:
        assert [tuple(r) for r in conn.execute("PRAGMA foreign_key_check")] == []
        assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
    finally:
        conn.close()


def text_values(path: Path) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text value of every table: what a secret could hide in."""
    conn = open_target(path)
    out = []
    try:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
            cur = conn.execute(f"SELECT * FROM [{table}]")
            names = [d[0] for d in cur.description]
            for row in cur:
                out += [(table, n, v) for n, v in zip(names, row) if isinstance(v, str)]
    finally:
        conn.close()
    return out


def flightdeck_target(path: Path, *, contested: str, expired: str, glob: str) -> Path:
    """flightdeck_populated.sql with another agent's live lock on `contested`, an expired lock
    on `expired` and a live `dir/*` lock `glob`, all relative to now."""
    from hookledger.sync.base import iso_z_at

    now = time.time()
    return make_target(path, "flightdeck_populated.sql", CONTESTED=contested, EXPIRED_PATH=expired, GLOB=glob,
                       NOW=iso_z_at(now), LIVE=iso_z_at(now + 600), EXPIRED=iso_z_at(now - 3600))


def rows(path: Path, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    conn = target_conn(path)
    out = [dict(r) for r in conn.execute(sql, params)]
    conn.close()
    return out


# ---------------------------------------------------------------- checks every adapter must pass


def setup(tmp_path: Path) -> tuple[Path, Path]:
    """(ledger path, project dir) for a freshly built ledger."""
    project = tmp_path / "acme-app"
    project.mkdir(exist_ok=True)
    ledger = tmp_path / "ledger.db"
    build_ledger(ledger, str(project)).close()
    return ledger, project


def run(name: str, ledger: Path, target: Path, project: Path, **kw: Any):
    from hookledger.sync import sync

    return sync(name, str(ledger), str(target), project_dir=str(project), **kw)


def check_idempotent(name: str, ledger: Path, target: Path, project: Path) -> None:
    first = run(name, ledger, target, project)
    assert first.written > 0
    before = dump(target)
    second = run(name, ledger, target, project)
    assert second.inserted == {} and second.updated == {}, second.as_dict()
    assert dump(target) == before
    check_constraints(target)


def check_dry_run(name: str, ledger: Path, target: Path, project: Path) -> None:
    before = dump(target) if target.exists() else None
    report = run(name, ledger, target, project, dry_run=True)
    assert report.dry_run and sum(report.inserted.values()) > 0
    assert (dump(target) if target.exists() else None) == before
    conn = sqlite3.connect(str(ledger))
    assert conn.execute("SELECT count(*) FROM sync_cursors WHERE target = ?", (name,)).fetchone()[0] == 0
    conn.close()


def check_resume(name: str, ledger: Path, target: Path, project: Path, tmp_path: Path, monkeypatch) -> None:
    """A crash after a target commit but before the cursor moved must not duplicate rows."""
    from hookledger.sync.source import Ledger

    real = Ledger.set_cursor

    def crash(self, *args):
        raise KeyboardInterrupt("killed between target commit and cursor update")

    monkeypatch.setattr(Ledger, "set_cursor", crash)
    try:
        run(name, ledger, target, project)
    except KeyboardInterrupt:
        pass
    monkeypatch.setattr(Ledger, "set_cursor", real)
    run(name, ledger, target, project)
    reference = tmp_path / f"{name}-reference.db"
    run(name, ledger, reference, project)
    assert table_counts(target) == table_counts(reference)
    check_constraints(target)
