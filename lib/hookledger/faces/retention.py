"""Retention: keep the ledger bounded without deleting state something still relies on.

Logs and state are told apart. Logs are history nothing decides from once a session is over:
hook_events (the bulk: one row per hook run, its payload summary capped by audit.py),
claim_conflicts, verdicts, snapshots, metrics, transcript usage and cursors, spawns, finished
claims, closed errors, cleared failed paths, finished tasks. State is what a hook or the brief
still reads: running agents and the claims they hold, open errors, still-relevant failed paths
(the brief shows them project-wide), unfinished tasks, and everything of a live session.

Two passes, both oldest first:

- age (`older_than_days`): a session that is not active, is not the latest one (SessionStart
  offers its brief) and was last heard from before the cutoff is expired: its logs are deleted,
  its state kept (and its `sessions` row with it while any is kept). Hook runs with no known
  session are deleted by their own time.
- size (`max_bytes`): while the live pages exceed the cap, the oldest hook_events rows outside
  protected sessions go first, then whole sessions, oldest first, as above.

Every delete is a short BEGIN IMMEDIATE transaction of at most BATCH rows, so hooks writing at
the same time wait milliseconds, never their busy timeout. VACUUM runs last, outside any
transaction; hooks that find the ledger locked meanwhile spool their events (replayed later).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hookledger.hotpath import spool
from hookledger.hotpath.timeutil import utc_now
from hookledger.knowledge.progress import begin
from hookledger.store.conn import write_txn

if TYPE_CHECKING:
    from hookledger.knowledge.progress import Starter

BATCH = 2000
DAY_S = 86400.0
OPEN_ERROR = "resolved_at IS NULL AND coalesce(resolution, '') NOT IN ('auto_fixed', 'abandoned')"
RUNNING = "SELECT id FROM agent_registry WHERE status = 'running'"
# Session-scoped tables, in delete order, each with the rows to keep (state still in use).
SESSION_TABLES: tuple[tuple[str, str | None], ...] = (
    ("hook_events", None),
    ("claim_conflicts", None),
    ("llm_verdicts", None),
    ("context_snapshots", None),
    ("session_metrics", None),
    ("transcript_usage", None),
    ("transcript_cursors", None),
    ("prompts", None),
    ("file_claims", f"released_at IS NULL AND agent_id IN ({RUNNING})"),
    ("agent_spawns", f"agent_id IN ({RUNNING})"),
    ("error_log", OPEN_ERROR),
    ("failed_paths", "still_relevant = 1"),
    ("tasks", "coalesce(status, 'pending') NOT IN ('completed', 'deleted')"),
    ("agent_registry", "status = 'running'"),
)
# Kept state that keeps its session's row (and so the session listed); a failed path does not
# need it (the brief reads them project-wide).
STATE_TABLES = ("agent_registry", "error_log", "tasks", "file_claims")
LAST_HEARD = "coalesce(last_event_at, ended_at, started_at)"
# Hook runs with no session to belong to (bad input before a session id, or a session row gone).
# The sessions hook runs name are read from session_totals (m011: one row per session id in
# hook_events), so finding them is a lookup per session, not a look at every hook run.
ORPHAN_EVENTS = ("(session_id IS NULL OR session_id IN (SELECT t.session_id FROM session_totals t"
                 " WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.session_id = t.session_id)))")


@dataclass
class Policy:
    older_than_days: float | None = 90.0
    max_bytes: int | None = 200 * 1024 * 1024
    vacuum: bool = True
    dry_run: bool = False


@dataclass
class Result:
    db: str
    cutoff: str | None = None
    expired_sessions: list[str] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    size_before: int = 0
    size_after: int = 0
    live_bytes_after: int = 0
    max_bytes: int | None = None
    cap_reached: bool | None = None
    # --dry-run with a cap: what the size pass would then delete (faces/prune_estimate.py)
    cap_estimate: dict[str, Any] | None = None
    vacuumed: bool = False
    dry_run: bool = False

    def add(self, target: dict[str, int], counts: dict[str, int]) -> None:
        for table, n in counts.items():
            if n:
                target[table] = target.get(table, 0) + n


def file_bytes(db: str) -> int:
    """The ledger's size on disk: the database with its WAL and shared-memory files."""
    return sum(os.path.getsize(p) for p in (db, db + "-wal", db + "-shm") if os.path.exists(p))


def live_bytes(conn: sqlite3.Connection) -> int:
    """Bytes in pages that hold data (what VACUUM would leave, give or take page slack)."""
    pages, free, size = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
    return (pages - free) * size


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def protected_sessions(conn: sqlite3.Connection) -> set[str]:
    """Active sessions, and the latest session (the next SessionStart offers its brief)."""
    found = {r[0] for r in conn.execute("SELECT session_id FROM sessions WHERE status = 'active'")}
    latest = conn.execute(f"SELECT session_id FROM sessions ORDER BY {LAST_HEARD} DESC LIMIT 1").fetchone()
    return found | ({latest[0]} if latest else set())


def expirable_sessions(conn: sqlite3.Connection, cutoff: str | None = None) -> list[str]:
    """Sessions prune may expire, oldest first: not protected, last heard from before `cutoff`."""
    keep = protected_sessions(conn)
    sql = f"SELECT session_id FROM sessions WHERE {LAST_HEARD} < ? ORDER BY {LAST_HEARD}, rowid" if cutoff else \
        f"SELECT session_id FROM sessions ORDER BY {LAST_HEARD}, rowid"
    return [r[0] for r in conn.execute(sql, (cutoff,) if cutoff else ()) if r[0] not in keep]


def _spooled_uids(conn: sqlite3.Connection, db: str) -> None:
    """A temp table of the event uids waiting in the spool: their audit rows, if already
    written, are kept, or the replay would record those events a second time."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS prune_spooled (uid TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.prune_spooled")
    conn.executemany("INSERT OR IGNORE INTO temp.prune_spooled VALUES (?)", [(u,) for u in spool.pending_uids(db)])


def _log_events(conn: sqlite3.Connection, where: str) -> str:
    """`where`, less the rows of spooled events. With nothing spooled (the usual case) the
    condition is left out: a count then reads the session index alone, not every row."""
    if conn.execute("SELECT 1 FROM temp.prune_spooled LIMIT 1").fetchone() is None:
        return where
    return f"({where}) AND (event_uid IS NULL OR event_uid NOT IN (SELECT uid FROM temp.prune_spooled))"


def _delete_events_in_batches(conn: sqlite3.Connection, where: str, params: tuple[Any, ...], dry_run: bool,
                              limit_bytes: int | None = None, each_batch: Any = None) -> int:
    """Delete hook_events rows matching `where`, oldest first (a replayed spooled event has
    an old time and a new id: time decides), BATCH per transaction; stop
    early once live_bytes() is at most `limit_bytes` (when given)."""
    where = _log_events(conn, where)
    if dry_run:
        return conn.execute(f"SELECT count(*) FROM hook_events WHERE {where}", params).fetchone()[0]
    total = 0
    while limit_bytes is None or live_bytes(conn) > limit_bytes:
        with write_txn(conn):
            n = conn.execute(f"DELETE FROM hook_events WHERE id IN (SELECT id FROM hook_events WHERE {where}"
                             f" ORDER BY timestamp, id LIMIT {BATCH})", params).rowcount
        total += n
        if each_batch is not None:
            each_batch()
        if n < BATCH:
            break
    return total


def _logs(keep: str | None) -> str:
    """The condition, after a session's, for the rows of a session table that are logs."""
    return f" AND NOT ({keep})" if keep else ""


def expire_session(conn: sqlite3.Connection, session_id: str, *,
                   tables: set[str] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Delete one session's logs, keep its state; returns (deleted, kept) row counts per table."""
    tables = tables if tables is not None else _tables(conn)
    deleted = {"hook_events": _delete_events_in_batches(conn, "session_id = ?", (session_id,), False)}
    kept: dict[str, int] = {}
    with write_txn(conn):
        for table, keep in SESSION_TABLES[1:]:
            if table not in tables:
                continue  # a ledger from before the table existed
            deleted[table] = conn.execute(f"DELETE FROM {table} WHERE session_id = ?{_logs(keep)}", (session_id,)).rowcount
            if keep:
                kept[table] = conn.execute(f"SELECT count(*) FROM {table} WHERE session_id = ? AND ({keep})",
                                           (session_id,)).fetchone()[0]
        if not any(kept.get(t) for t in STATE_TABLES):
            deleted["sessions"] = conn.execute("DELETE FROM sessions WHERE session_id = ?", (session_id,)).rowcount
    return deleted, kept


def _expiry_counts(conn: sqlite3.Connection, sessions: list[str], tables: set[str]) -> tuple[dict[str, int], dict[str, int]]:
    """What expire_session would delete and keep for each of `sessions`, summed: one count
    per table over all of them (a dry run over thousands of sessions)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS prune_expiring (session_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.prune_expiring")
    conn.executemany("INSERT OR IGNORE INTO temp.prune_expiring VALUES (?)", [(s,) for s in sessions])
    among = "session_id IN (SELECT session_id FROM temp.prune_expiring)"
    count = lambda table, where: conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]  # noqa: E731
    deleted = {"hook_events": count("hook_events", _log_events(conn, among))}
    kept: dict[str, int] = {}
    for table, keep in SESSION_TABLES[1:]:
        if table in tables:
            deleted[table] = count(table, among + _logs(keep))
            if keep:
                kept[table] = count(table, f"{among} AND ({keep})")
    in_use = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE session_id = e.session_id AND ({keep}))"
                         for t, keep in SESSION_TABLES if t in STATE_TABLES and t in tables and keep)
    deleted["sessions"] = count("temp.prune_expiring e", f"NOT ({in_use})" if in_use else "1")
    return deleted, kept


def prune(conn: sqlite3.Connection, db: str, policy: Policy, *, now: float | None = None,
          progress: Starter | None = None) -> Result:
    """Apply `policy` to the ledger open on `conn` (autocommit mode, as store.conn.connect gives).
    `progress` (a knowledge.progress starter) is told the sessions expired, then the bytes shed."""
    result = Result(db=db, size_before=file_bytes(db), max_bytes=policy.max_bytes, dry_run=policy.dry_run)
    _spooled_uids(conn, db)
    if policy.older_than_days is not None:
        result.cutoff = utc_now((now if now is not None else time.time()) - policy.older_than_days * DAY_S)
        tables = _tables(conn)
        expiring = expirable_sessions(conn, result.cutoff)
        result.expired_sessions.extend(expiring)
        if policy.dry_run:  # counted for all of them at once, as expire_session would find them one by one
            deleted, kept = _expiry_counts(conn, expiring, tables)
            result.add(result.deleted, deleted)
            result.add(result.kept, kept)
        shown = begin(progress, "Expiring sessions", len(expiring)) if expiring and not policy.dry_run else None
        for sid in expiring if not policy.dry_run else ():
            deleted, kept = expire_session(conn, sid, tables=tables)
            result.add(result.deleted, deleted)
            result.add(result.kept, kept)
            shown(1)
        if shown is not None:
            shown.close()
        result.add(result.deleted, {"hook_events": _delete_events_in_batches(
            conn, f"{ORPHAN_EVENTS} AND timestamp < ?", (result.cutoff,), policy.dry_run)})
    if policy.max_bytes is not None and not policy.dry_run:
        _trim_to_size(conn, policy.max_bytes, result, progress)
        result.cap_reached = live_bytes(conn) <= policy.max_bytes
    if policy.vacuum and not policy.dry_run and (result.deleted or result.size_before > live_bytes(conn) * 1.25):
        vacuum(conn)
        result.vacuumed = True
    result.size_after = file_bytes(db)
    result.live_bytes_after = live_bytes(conn)
    return result


def _trim_to_size(conn: sqlite3.Connection, max_bytes: int, result: Result, progress: Starter | None = None) -> None:
    """Oldest hook runs outside protected sessions first, then whole sessions, until under the cap."""
    start = live_bytes(conn)
    if start <= max_bytes:
        return
    shown = begin(progress, "Trimming to size", (start - max_bytes) // 1024)
    shed = lambda: shown(max(0, (start - live_bytes(conn)) // 1024 - shown.done))  # noqa: E731 (KB freed so far)
    keep = protected_sessions(conn)
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS prune_protected (session_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.prune_protected")
    conn.executemany("INSERT INTO temp.prune_protected VALUES (?)", [(s,) for s in keep])
    outside = "(session_id IS NULL OR session_id NOT IN (SELECT session_id FROM temp.prune_protected))"
    result.add(result.deleted, {"hook_events": _delete_events_in_batches(conn, outside, (), False, max_bytes, shed)})
    for sid in expirable_sessions(conn):
        if live_bytes(conn) <= max_bytes:
            break
        deleted, kept = expire_session(conn, sid)
        if sid not in result.expired_sessions:
            result.expired_sessions.append(sid)
            result.add(result.kept, kept)
        result.add(result.deleted, deleted)
        shed()
    shown.close()


def vacuum(conn: sqlite3.Connection) -> None:
    """Give the freed pages back to the file system, and empty the WAL VACUUM wrote through."""
    if conn.in_transaction:
        conn.execute("COMMIT")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def policy_from_config(config: dict[str, Any]) -> Policy:
    """The project's `retention` settings (.claude/hookledger.json) as a Policy."""
    from hookledger.hotpath.config import get

    days, max_mb = get(config, "retention.days"), get(config, "retention.max_mb")
    return Policy(older_than_days=float(days) if isinstance(days, (int, float)) and days > 0 else None,
                  max_bytes=int(max_mb * 1024 * 1024) if isinstance(max_mb, (int, float)) and max_mb > 0 else None)
