"""`hookledger agents`: every agent seen (subagents and main threads), its task and status."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import echo_rows, ledger_options, open_ledger, resolve

COLUMNS = ("id AS agent_id, session_id, agent_type, status, task_description, spawn_time, end_time,"
           " last_event_at, unattributed, files_changed")


@click.command(name="agents")
@ledger_options
@click.option("--live", is_flag=True, help="Only agents still running (the v_live_agents view).")
@click.option("--session", "session_id", default=None, help="Only this session's agents.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def command(project: str | None, db_path: str | None, live: bool, session_id: str | None, as_json: bool) -> None:
    """List agents: type, task (from the Agent tool call), status (running, completed, failed,
    aborted_stale), and the files each changed. Unattributed agents sent tool events without
    ever being announced by SubagentStart."""
    import json

    _, db = resolve(project, db_path)
    ledger = open_ledger(db)
    where, params = ["1 = 1"], []
    if live:
        where.append("status = 'running'")
    if session_id:
        where.append("session_id = ?")
        params.append(session_id)
    found = [dict(r) for r in ledger.query(
        f"SELECT {COLUMNS} FROM agent_registry WHERE {' AND '.join(where)} ORDER BY spawn_time, id", params)]
    for row in found:
        try:
            row["files_changed"] = json.loads(row["files_changed"] or "[]")
        except ValueError:
            pass
        if not as_json:
            row["files_changed"] = ", ".join(row["files_changed"]) if isinstance(row["files_changed"], list) else row["files_changed"]
            row["session_id"] = (row["session_id"] or "")[:8]
            row["unattributed"] = "yes" if row["unattributed"] else ""
            del row["last_event_at"]
    echo_rows(found, as_json, "no agents recorded")
