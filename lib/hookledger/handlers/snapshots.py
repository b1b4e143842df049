"""context_snapshots and the continuity brief that survives compaction.

- PreCompact: a `pre_compact` snapshot (metrics refreshed, transcript read first).
- SessionStart(compact): a `pre_compact` snapshot too when PreCompact never fired for this
  compaction (Claude Code skips it on some paths), then `post_compact`, and the brief as
  additionalContext: the only channel that puts context back after a compaction.
- SessionStart(startup|resume): sessions left open are closed out first (status abandoned,
  their open errors abandoned, a session_end snapshot); then the brief of the previous session
  (or, on resume, of this one) when it is recent and has something still relevant.
- SessionEnd: a `session_end` snapshot (a handful of indexed queries, well inside 1.5 s).

A snapshot is JSON: live agents, open claims, unresolved errors, still-relevant failed paths,
unfinished tasks, files touched, metrics and the detected project checks.
"""

from __future__ import annotations

import json
import sqlite3

from hookledger.handlers import metrics, tool_errors
from hookledger.handlers.context import Context
from hookledger.hotpath.decisions import Decision
from hookledger.hotpath.events import main_agent_id
from hookledger.hotpath.timeutil import parse_utc
from hookledger.knowledge import project

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

MAX_CLOSE_OUT = 20  # sessions closed out per SessionStart (older ones wait for the next)
RECENT = 1000  # a snapshot looks at this many of the session's latest errors and file changes


def _rows(conn: sqlite3.Connection, sql: str, params: tuple) -> list[dict[str, Any]]:
    """Query as dicts; a table another issue owns may not exist yet in an old ledger."""
    try:
        cur = conn.execute(sql, params)
    except sqlite3.OperationalError:
        return []
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def collect(ctx: Context, session_id: str, *, live: bool = True) -> dict[str, Any]:
    """The session's state as a snapshot dict (`live`: include running agents and claims)."""
    conn = ctx.conn
    # Errors, claims and files are read among the session's latest rows (RECENT), so a snapshot
    # of a very long session costs what one of a short session does.
    errors = _rows(conn, (
        "SELECT max(id) AS id, signature, command, tool_name AS tool, error_category AS category, file_path,"
        " error_message AS message, resolution, timestamp AS last_at, attempt_number AS attempts"
        " FROM (SELECT * FROM error_log WHERE session_id = ? AND coalesce(resolution, '') != 'auto_fixed'"
        "       ORDER BY id DESC LIMIT ?)"
        " GROUP BY coalesce(signature, file_path || ':' || error_category, CAST(id AS TEXT))"
        " ORDER BY attempts DESC, id DESC LIMIT 15"), (session_id, RECENT))
    failed = _failed_paths(conn, session_id)
    tasks = _rows(conn, (
        "SELECT task_id, subject, status, agent_id FROM tasks WHERE session_id = ?"
        " AND coalesce(status, 'pending') NOT IN ('completed', 'deleted')"
        " ORDER BY status = 'in_progress' DESC, created_at LIMIT 25"), (session_id,))
    main = main_agent_id(session_id)
    agents = _rows(conn, (
        "SELECT id AS agent_id, agent_type, task_description, last_event_at FROM agent_registry"
        " WHERE session_id = ? AND status = 'running' AND id != ? ORDER BY spawn_time LIMIT 10"),
        (session_id, main)) if live else []
    # CROSS JOIN keeps the running agents outside: their claims, not all the session's, are read.
    claims = _rows(conn, (
        "SELECT c.file_path, c.agent_id AS holder_agent_id, max(c.timestamp) AS claimed_at FROM agent_registry a"
        " CROSS JOIN file_claims c ON c.agent_id = a.id WHERE a.session_id = ? AND a.status = 'running'"
        " AND a.id != ? AND c.session_id = a.session_id AND c.released_at IS NULL"
        " AND coalesce(c.status, 'held') = 'held'"
        " GROUP BY c.file_path ORDER BY claimed_at DESC LIMIT 20"), (session_id, main)) if live else []
    files = [r["file_path"] for r in _rows(conn, (
        "SELECT file_path, max(id) AS last FROM (SELECT id, file_path FROM file_claims WHERE session_id = ?"
        " AND phase = 'done' ORDER BY id DESC LIMIT ?) GROUP BY file_path ORDER BY last DESC LIMIT 30"),
        (session_id, RECENT))]
    return {
        "session_id": session_id,
        "taken_at": ctx.now,
        "unresolved_errors": errors,
        "failed_paths": failed,
        "tasks": tasks,
        "live_agents": agents,
        "open_claims": claims,
        "files_touched": files,
        "metrics": metrics.read_all(conn, session_id),
        "project": project.read(conn),
    }


def _failed_paths(conn: sqlite3.Connection, session_id: str, limit: int = 15) -> list[dict[str, Any]]:
    """Still-relevant failed paths, the session's own first, then the project's newest: two
    lookups that stop at `limit` (sorting every relevant one in the project grew with it)."""
    columns = "id, approach, reason_failed AS reason, file_path, context, session_id"
    own = _rows(conn, f"SELECT {columns} FROM failed_paths WHERE session_id = ? AND still_relevant = 1"
                      " ORDER BY id DESC LIMIT ?", (session_id, limit))
    if len(own) >= limit:
        return own
    newest = _rows(conn, f"SELECT {columns} FROM failed_paths WHERE still_relevant = 1 ORDER BY id DESC LIMIT ?",
                   (limit + len(own),))  # the session's own may be among them
    return (own + [r for r in newest if r["session_id"] != session_id])[:limit]


def write(ctx: Context, session_id: str, kind: str, snap: dict[str, Any]) -> int:
    cur = ctx.conn.execute(
        "INSERT INTO context_snapshots (session_id, timestamp, snapshot_type, content) VALUES (?, ?, ?, ?)",
        (session_id, ctx.now, kind, json.dumps({**snap, "snapshot_type": kind}, ensure_ascii=False, default=str)))
    return int(cur.lastrowid or 0)


def _max_chars(ctx: Context) -> int:
    from hookledger.hotpath.config import get

    value = get(ctx.config, "brief.max_chars")
    return value if isinstance(value, int) and value > 200 else 8000


def _recent(ctx: Context, session_id: str) -> bool:
    """Was the session heard from within brief.resume_max_age_hours?"""
    from hookledger.hotpath.config import get

    hours = get(ctx.config, "brief.resume_max_age_hours")
    hours = hours if isinstance(hours, (int, float)) and hours > 0 else 24
    row = ctx.conn.execute("SELECT coalesce(last_event_at, started_at) FROM sessions WHERE session_id = ?",
                           (session_id,)).fetchone()
    then, now = parse_utc(row[0] if row else None), parse_utc(ctx.now)
    return then is not None and now is not None and now - then <= hours * 3600


def _brief(ctx: Context, snap: dict[str, Any], kind: str) -> str:
    from hookledger.knowledge.brief import build

    return build(snap, kind, _max_chars(ctx))


def close_out(ctx: Context) -> list[str]:
    """Sessions still marked active that are not this one never sent SessionEnd: close them
    out as abandoned, unless another Claude Code process that is still running owns them
    (two sessions in one project). A session that turns out to be alive revives on its next
    tool call."""
    from hookledger.hotpath.process import claude_pid, is_alive

    me = claude_pid()
    ids = [sid for sid, pid in ctx.conn.execute(
        "SELECT session_id, claude_pid FROM sessions WHERE status = 'active' AND session_id != ?"
        " ORDER BY coalesce(last_event_at, started_at) DESC LIMIT ?", (ctx.session_id, MAX_CLOSE_OUT))
        if pid is None or pid == me or not is_alive(pid)]
    for sid in ids:
        tool_errors.abandon_open(ctx, sid)
        metrics.refresh(ctx, sid, transcript=False)
        write(ctx, sid, "session_end", {**collect(ctx, sid, live=False), "closed_out_by": ctx.session_id})
        ctx.conn.execute(
            "UPDATE sessions SET status = 'abandoned', ended_at = coalesce(last_event_at, ?), end_reason = 'closed_out'"
            " WHERE session_id = ? AND status = 'active'", (ctx.now, sid))
    return ids


def _previous_session(ctx: Context) -> str | None:
    row = ctx.conn.execute(
        "SELECT session_id FROM sessions WHERE session_id != ? ORDER BY coalesce(last_event_at, started_at) DESC LIMIT 1",
        (ctx.session_id,)).fetchone()
    return row[0] if row else None


def _after_compaction(ctx: Context) -> Decision:
    sid = ctx.session_id
    last_post = ctx.conn.execute("SELECT max(id) FROM context_snapshots WHERE session_id = ? AND snapshot_type = 'post_compact'",
                                 (sid,)).fetchone()[0] or 0
    has_pre = ctx.conn.execute("SELECT 1 FROM context_snapshots WHERE session_id = ? AND snapshot_type = 'pre_compact'"
                               " AND id > ?", (sid, last_post)).fetchone()
    metrics.refresh(ctx, transcript=not has_pre)
    snap = collect(ctx, sid)
    if not has_pre:  # PreCompact never fired for this compaction
        write(ctx, sid, "pre_compact", {**snap, "built_by": "SessionStart(compact)"})
    write(ctx, sid, "post_compact", snap)
    return Decision(context=_brief(ctx, snap, "compact"))


def session_start(ctx: Context) -> Decision | None:
    source = ctx.event.text("source")
    close_out(ctx)
    if source == "compact":
        return _after_compaction(ctx)
    if source == "resume":
        sid, kind = ctx.session_id, "resume"
    elif source == "startup":
        sid, kind = _previous_session(ctx), "previous"
    else:
        return None  # clear/fork: a deliberately fresh context
    if not sid or not _recent(ctx, sid):
        return None
    snap = collect(ctx, sid, live=kind == "resume")
    return Decision(context=_brief(ctx, snap, kind)) if _relevant(snap) else None


def _relevant(snap: dict[str, Any]) -> bool:
    from hookledger.knowledge.brief import has_substance

    return has_substance(snap)


def pre_compact(ctx: Context) -> None:
    metrics.refresh(ctx)
    snap = collect(ctx, ctx.session_id)
    snap["trigger"] = ctx.event.text("trigger")
    write(ctx, ctx.session_id, "pre_compact", snap)


def session_end(ctx: Context) -> None:
    snap = collect(ctx, ctx.session_id, live=False)
    snap["reason"] = ctx.event.text("reason")
    write(ctx, ctx.session_id, "session_end", snap)
