"""`hookledger agents`: every agent seen (subagents and main threads), its task and status."""

from __future__ import annotations

import json

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, pick_session, resolve_upward
from hookledger.faces.table import Col

COLUMNS = ("id AS agent_id, session_id, agent_type, status, task_description, spawn_time, end_time,"
           " last_event_at, unattributed, files_changed")
STATUS_STYLE = {"running": "green", "failed": "red", "aborted_stale": "yellow"}
COLS = [
    Col("agent", "agent", "id"),
    Col("session", "session", "id"),
    Col("status", "status", "word", style=STATUS_STYLE.get),
    Col("spawn_time", "started", "time", drop=2),
    Col("end_time", "ended", "time", drop=4),
    Col("task_description", "task", "text"),
    Col("files", "files changed", "text", drop=1),
]


@click.command(name="agents")
@ledger_options
@click.option("--live", is_flag=True, help="Only agents still running (the v_live_agents view).")
@click.option("--session", "session_id", default=None, help="Only this session's agents (an id or a unique prefix).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (full ids, UTC times) instead of a table.")
def command(project: str | None, db_path: str | None, live: bool, session_id: str | None, as_json: bool) -> None:
    """List agents: `main` for a session's main thread, `<type>·<id>` for a subagent; status
    (running, completed, failed, aborted_stale), task (from the Agent tool call), when it started
    and ended, and the files it changed. Unattributed agents sent tool events without ever
    being announced by SubagentStart. Times are local; --json gives UTC."""
    from hookledger.faces.inspect.format import agent_label

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id) if session_id else None
    where, params = ["1 = 1"], []
    if sid:
        where.append("session_id = ?")
        params.append(sid)
    recorded = conn.execute(f"SELECT count(*) FROM agent_registry WHERE {' AND '.join(where)}", params).fetchone()[0]
    if live:
        where.append("status = 'running'")
    cursor = conn.execute(f"SELECT {COLUMNS} FROM agent_registry WHERE {' AND '.join(where)}"
                          " ORDER BY spawn_time, id", params)
    names = [d[0] for d in cursor.description]
    found = [dict(zip(names, r)) for r in cursor.fetchall()]
    for row in found:
        try:
            row["files_changed"] = json.loads(row["files_changed"] or "[]")
        except ValueError:
            pass  # a row from another writer: kept as it is
        row["unattributed"] = bool(row["unattributed"])
    if as_json:
        echo_rows(found, True, "")
        return
    scope = f" in session {sid[:8]}" if sid else ""
    empty = (f"no live agents{scope}: {recorded} recorded, none running" if live and recorded
             else f"no agents recorded{scope}")
    for row in found:
        row["agent"] = agent_label(row["agent_id"], row["agent_type"]) + (" (unannounced)" if row["unattributed"] else "")
        row["session"] = (row["session_id"] or "")[:8]
        files = row["files_changed"]
        row["files"] = ", ".join(files) if isinstance(files, list) else files
    echo_rows(found, False, empty, [c for c in COLS if not (sid and c.key == "session")])
