"""Queries over the ledger and its views, returning plain dicts (the CLI prints them).

Every function takes an open sqlite3 connection on a migrated ledger and only reads. Each is
an indexed lookup or reads m011's counters: showing one session costs the same however many
others the ledger holds, and listing N sessions reads N sessions' rows (benchmarks/scale.py).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from hookledger.hotpath import spool
from hookledger.store.version import SCHEMA_VERSION


class UnknownSession(LookupError):
    """No session (or more than one) matches the id or prefix given."""


def fetch(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def scalar(conn: sqlite3.Connection, sql: str, params: Any = ()) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def resolve_session(conn: sqlite3.Connection, wanted: str | None) -> str:
    """The full id of the session `wanted` names (an id or a unique prefix, as the tables
    print them); the most recently started session when `wanted` is None."""
    if not wanted:
        found = scalar(conn, "SELECT session_id FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT 1")
        if found is None:
            raise UnknownSession("no sessions recorded yet")
        return found
    return by_prefix(conn, "sessions", "session_id", wanted, UnknownSession, "session")


def by_prefix(conn: sqlite3.Connection, table: str, column: str, wanted: str, error: type[LookupError],
              what: str, shown: str | None = None) -> str:
    """The one value of `table.column` equal to `wanted` or starting with it; `error` when
    there is none or more than one. A prefix is a range of the (indexed) column: values from
    `wanted` up to `wanted` followed by the highest character, not a look at every row."""
    matches = [r[0] for r in conn.execute(
        f"SELECT {column} FROM {table} WHERE {column} >= ? AND {column} < ? LIMIT 3",
        (wanted, wanted + "\U0010ffff"))]
    if wanted in matches:
        return wanted
    if len(matches) == 1:
        return matches[0]
    shown = shown or wanted
    raise error(f"no {what} matches {shown!r}" if not matches else f"{shown!r} matches several {what}s; give more of the id")


def file_size(path: str) -> int:
    """Bytes on disk of the database with its WAL and shared-memory files."""
    return sum(os.path.getsize(p) for p in (path, path + "-wal", path + "-shm") if os.path.exists(p))


def status(conn: sqlite3.Connection, db_path: str) -> dict[str, Any]:
    """One look at the ledger: where, how big, which schema, what it holds, what is waiting."""
    version = scalar(conn, "PRAGMA user_version")
    return {
        "ledger": db_path,
        "size_bytes": file_size(db_path),
        "schema_version": version,
        "code_schema_version": SCHEMA_VERSION,
        "sessions": scalar(conn, "SELECT count(*) FROM sessions"),
        "active_sessions": scalar(conn, "SELECT count(*) FROM sessions WHERE status = 'active'"),
        "events": event_count(conn),
        "live_agents": scalar(conn, "SELECT count(*) FROM v_live_agents"),
        "open_errors": scalar(conn, "SELECT count(*) FROM v_open_errors"),
        "spool_backlog": len(spool.pending(db_path)),
        "spool_quarantined": len(spool.quarantined(db_path)),
        "last_event_at": scalar(conn, "SELECT max(timestamp) FROM hook_events"),
    }


def event_count(conn: sqlite3.Connection) -> int:
    """Hook runs in the ledger: the per-session counters (m011) plus runs with no session,
    rather than a count over every row."""
    return (scalar(conn, "SELECT coalesce(sum(events), 0) FROM session_totals")
            + scalar(conn, "SELECT count(*) FROM hook_events WHERE session_id IS NULL"))


def sessions(conn: sqlite3.Connection, limit: int | None = None) -> list[dict[str, Any]]:
    """Sessions, newest first, with their counts (v_sessions) and `origin` ('import': recorded
    from its transcript by `hookledger import`, not by the hooks)."""
    return fetch(conn, "SELECT v.session_id, v.status, v.started_at, v.ended_at, v.duration_s, v.end_reason, v.source,"
                 " v.model, v.events, v.tool_calls, v.subagents, v.files_changed, v.errors, v.open_errors,"
                 " v.compactions, s.origin FROM v_sessions v JOIN sessions s ON s.session_id = v.session_id"
                 " ORDER BY v.started_at DESC LIMIT ?", (-1 if limit is None else limit,))


def timeline(conn: sqlite3.Connection, session_id: str, kinds: list[str] | None = None) -> list[dict[str, Any]]:
    """The session's moments in order (v_session_timeline), optionally only some kinds."""
    sql = ("SELECT at, agent_id, kind, event, tool_name, detail, duration_ms, outcome, source_table, source_id"
           " FROM v_session_timeline WHERE session_id = ?")
    params: list[Any] = [session_id]
    if kinds:
        sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        params += kinds
    # Within one millisecond: the hook run first, then what it recorded.
    return fetch(conn, sql + " ORDER BY at, source_table = 'hook_events' DESC, source_id", params)


def latency_by_event(conn: sqlite3.Connection, session_id: str | None = None) -> list[dict[str, Any]]:
    """Per event: runs, p50/p95/max duration_ms (nearest rank), handler errors
    (v_hook_latency, or v_hook_latency_by_session for one session)."""
    columns = "event, runs, p50_ms, p95_ms, max_ms, avg_ms, errors"
    if session_id:
        return fetch(conn, f"SELECT {columns} FROM v_hook_latency_by_session WHERE session_id = ? ORDER BY event",
                     (session_id,))
    return fetch(conn, f"SELECT {columns} FROM v_hook_latency ORDER BY event")


RECENT_RUNS = 100_000  # the slowest runs of the whole ledger are looked for among this many latest


def slowest_runs(conn: sqlite3.Connection, session_id: str | None = None, limit: int = 10,
                 recent: int = RECENT_RUNS) -> list[dict[str, Any]]:
    """The slowest hook runs of the session, or of the latest `recent` runs of the ledger (a
    range of ids: the cost stays the same as the ledger grows): when, which event and tool,
    how long, how it ended."""
    where, params = ("WHERE session_id = ?", [session_id]) if session_id else \
        ("WHERE id > (SELECT coalesce(max(id), 0) FROM hook_events) - ?", [recent])
    return fetch(conn, "SELECT id, timestamp, session_id, event_type AS event, tool_name, duration_ms, outcome"
                 f" FROM hook_events {where} ORDER BY duration_ms DESC, id LIMIT ?", [*params, limit])


def session_row(conn: sqlite3.Connection, session_id: str) -> dict[str, Any]:
    rows = fetch(conn, "SELECT * FROM v_sessions WHERE session_id = ?", (session_id,))
    return rows[0] if rows else {"session_id": session_id}


def session_agents(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """The session's registered agents, main thread first, then by spawn time. An agent id
    seen only on events (the SubagentStop a compaction fires, a stray id) is no agent of its
    own: callers put those moments on the main thread's lane."""
    main = f"main:{session_id}"
    found = fetch(conn, "SELECT id AS agent_id, agent_type, task_description, status, spawn_time, end_time,"
                  " last_event_at, unattributed, files_changed FROM agent_registry WHERE session_id = ?"
                  " ORDER BY id != ?, spawn_time, id", (session_id, main))
    if not any(a["agent_id"] == main for a in found):
        found.insert(0, {"agent_id": main, "agent_type": "main", "task_description": None, "status": None,
                         "spawn_time": None, "end_time": None, "last_event_at": None, "unattributed": 0,
                         "files_changed": None})
    return found


def session_files(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """Files the session changed (v_file_activity), most recently changed first."""
    return fetch(conn, "SELECT file_path, changes, failed, agents, agent_ids, operations, shared_writes,"
                 " first_at, last_at FROM v_file_activity WHERE session_id = ? ORDER BY last_at DESC",
                 (session_id,))


def session_metrics(conn: sqlite3.Connection, session_id: str) -> dict[str, Any]:
    """The session's summary metrics (key -> value), when the metrics handler recorded them."""
    return {r["key"]: r["value"] for r in fetch(
        conn, "SELECT key, value FROM session_metrics WHERE session_id = ? AND event_type = 'summary'", (session_id,))}


TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
                 "cache_creation_5m_tokens", "cache_creation_1h_tokens")


def tokens_by_session(conn: sqlite3.Connection, session_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per session: input, output, cache write and cache read tokens read from its transcripts
    (transcript_usage: one row per model response). Sessions with none are left out."""
    if not session_ids:
        return {}
    marks = ", ".join("?" for _ in session_ids)
    sums = ", ".join(f"sum({c}) AS {c}" for c in TOKEN_COLUMNS)
    found = fetch(conn, f"SELECT session_id, count(*) AS responses, {sums} FROM transcript_usage"
                  f" WHERE session_id IN ({marks}) GROUP BY session_id", list(session_ids))
    return {r.pop("session_id"): r for r in found}



class UnknownAgent(LookupError):
    """No agent (or more than one) matches what was given."""


def resolve_agent(conn: sqlite3.Connection, wanted: str, session_id: str | None = None) -> str:
    """The full agent id for what people type: the id itself, a unique prefix of it, a label
    as the tables print it (`general-purpose·aff41339`, `main`, `main·653000e5`), or `main:<id>`.
    `main` alone is the main thread of `session_id` (default: the latest session)."""
    text = wanted.strip()
    head, dot, tail = text.partition("\u00b7")
    if dot:
        text = f"main:{tail}" if head == "main" else tail
    if text == "main":
        return f"main:{resolve_session(conn, session_id)}"
    if text.startswith("main:"):
        return f"main:{resolve_session(conn, text[5:])}"
    return by_prefix(conn, "agent_registry", "id", text, UnknownAgent, "agent", shown=wanted)


def total_tokens(conn: sqlite3.Connection) -> dict[str, int]:
    """Tokens of every session together (transcript_usage), as tokens_by_session's values."""
    sums = ", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in TOKEN_COLUMNS)
    return fetch(conn, f"SELECT count(*) AS responses, {sums} FROM transcript_usage")[0]
