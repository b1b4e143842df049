"""Reading a ledger that hooks are writing, without ever getting in their way.

A read-only connection (`file:...?mode=ro`: it cannot take a write lock), a short busy
timeout, and only short statements, each read to the end at once, so no read transaction
stays open between two looks (a WAL reader never blocks a writer; an open one would only keep
the WAL from being checkpointed). Re-querying is gated by a cheap change marker: SQLite's
`PRAGMA data_version`, which moves when another connection commits, plus the newest hook run.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from typing import Any

from hookledger.faces.inspect.queries import fetch, scalar

READ_BUSY_MS = 200  # a read that cannot start within this is simply tried at the next tick
RECENT_RUNS = 400  # hook runs of the session looked at for what each agent is doing


def open_readonly(db_path: str) -> sqlite3.Connection:
    """A connection that can only read the ledger at `db_path`."""
    uri = "file:" + urllib.parse.quote(db_path) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=READ_BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {READ_BUSY_MS}")
    conn.execute("PRAGMA query_only = 1")
    return conn


def change_marker(conn: sqlite3.Connection) -> tuple[int, int]:
    """Changes whenever another connection commits (data_version) or a hook run is recorded."""
    return scalar(conn, "PRAGMA data_version"), scalar(conn, "SELECT max(id) FROM hook_events") or 0


def latest_session(conn: sqlite3.Connection) -> str | None:
    return scalar(conn, "SELECT session_id FROM sessions ORDER BY started_at DESC, rowid DESC LIMIT 1")


def _detail(summary: str | None, tool: str | None) -> str:
    """What a tool call is about, from its payload summary: the command, file, pattern..."""
    try:
        data = json.loads(summary or "{}")
    except ValueError:
        return ""
    tool_input = data.get("tool_input") if isinstance(data, dict) else None
    if not isinstance(tool_input, dict):
        return ""
    for key in ("command", "file_path", "notebook_path", "path", "pattern", "url", "query", "description", "subject"):
        value = tool_input.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return ""


def agent_activity(conn: sqlite3.Connection, session_id: str) -> dict[str, dict[str, Any]]:
    """Per agent id: its latest hook run in the session and the tool call it is in, if any (a
    PreToolUse with no PostToolUse or PostToolUseFailure after it). Bounded: the session's
    latest RECENT_RUNS runs."""
    runs = fetch(conn, "SELECT id, timestamp, coalesce(agent_id, 'main:' || session_id) AS agent_id, event_type,"
                 " tool_name, tool_use_id, payload_summary FROM hook_events WHERE session_id = ?"
                 " ORDER BY id DESC LIMIT ?", (session_id, RECENT_RUNS))
    finished = {r["tool_use_id"] for r in runs if r["event_type"] in ("PostToolUse", "PostToolUseFailure")
                and r["tool_use_id"]}
    out: dict[str, dict[str, Any]] = {}
    for run in runs:  # newest first
        seen = out.setdefault(run["agent_id"], {"last_at": run["timestamp"], "last_event": run["event_type"],
                                                "tool": None, "tool_detail": "", "tool_since": None})
        if (seen["tool"] is None and run["event_type"] == "PreToolUse" and run["tool_use_id"] not in finished
                and seen.get("_open", True)):
            seen.update(tool=run["tool_name"], tool_detail=_detail(run["payload_summary"], run["tool_name"]),
                        tool_since=run["timestamp"])
        if run["event_type"] in ("PostToolUse", "PostToolUseFailure", "Stop", "SubagentStop"):
            seen["_open"] = False  # an older PreToolUse was answered before this: not current
    for seen in out.values():
        seen.pop("_open", None)
    return out


def snapshot(conn: sqlite3.Connection, session_id: str, recent: int = 40) -> dict[str, Any]:
    """Everything the live view shows for one session, read in a handful of short queries."""
    from hookledger.faces.inspect import queries

    session = queries.session_row(conn, session_id)
    main = f"main:{session_id}"
    agents = fetch(conn, "SELECT id AS agent_id, agent_type, task_description, status, spawn_time, last_event_at"
                   " FROM agent_registry WHERE session_id = ? AND (status = 'running' OR id = ?)"
                   " ORDER BY id != ?, spawn_time", (session_id, main, main))
    held = fetch(conn, "SELECT c.file_path, c.agent_id, a.agent_type, max(c.timestamp) AS since"
                 " FROM file_claims c JOIN agent_registry a ON a.id = c.agent_id"
                 " WHERE c.session_id = ? AND a.status = 'running' AND c.released_at IS NULL"
                 " AND coalesce(c.status, 'held') = 'held' GROUP BY c.file_path ORDER BY since DESC", (session_id,))
    conflicts = fetch(conn, "SELECT timestamp, file_path, agent_id, agent_type, holder_agent_id, holder_agent_type,"
                      " policy, answer FROM v_claim_conflicts WHERE session_id = ? ORDER BY id DESC LIMIT 10",
                      (session_id,))
    errors = fetch(conn, "SELECT what, command, category, file_path, attempts, escalation, resolution, last_at,"
                   " last_error, agent_id FROM v_open_errors WHERE session_id = ? ORDER BY last_id DESC", (session_id,))
    since = scalar(conn, "SELECT timestamp FROM hook_events WHERE session_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
                   (session_id, recent - 1))
    moments = fetch(conn, "SELECT at, agent_id, kind, event, tool_name, detail, duration_ms, outcome"
                    " FROM v_session_timeline WHERE session_id = ? AND at >= ?"
                    " ORDER BY at DESC, source_table = 'hook_events', source_id DESC LIMIT ?",
                    (session_id, since or "", recent))
    types = {a["agent_id"]: a["agent_type"] for a in fetch(
        conn, "SELECT id AS agent_id, agent_type FROM agent_registry WHERE session_id = ?", (session_id,))}
    return {"session": session, "agents": agents, "activity": agent_activity(conn, session_id), "held": held,
            "conflicts": conflicts, "errors": errors, "moments": moments, "agent_types": types,
            "tokens": queries.tokens_by_session(conn, [session_id]).get(session_id)}
