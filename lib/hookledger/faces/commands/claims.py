"""`hookledger claims`: who holds which file, every claim, and the conflicts seen."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, pick_agent, resolve_upward
from hookledger.faces.inspect.queries import fetch
from hookledger.faces.table import Col

OWNERS = ("SELECT file_path, holder_agent_id, holder_agent_type, holder_task, holder_status, live, operation,"
          " claimed_at, released_at, session_id FROM v_file_owners", "holder_agent_id", "file_path")
ALL = ("SELECT c.id, c.timestamp, c.session_id, c.file_path, c.agent_id, a.agent_type, c.operation, c.status,"
       " c.phase, c.released_at FROM file_claims c LEFT JOIN agent_registry a ON a.id = c.agent_id", "c.agent_id", "c.id")
CONFLICTS = ("SELECT id, timestamp, session_id, file_path, agent_id, agent_type, operation, holder_agent_id,"
             " holder_agent_type, holder_task, policy, answer FROM v_claim_conflicts", "agent_id", "id")

OWNER_COLS = [
    Col("file_path", "file", "text"),
    Col("holder", "held by", "id"),
    Col("session", "session", "id", drop=1),
    Col("live", "live", "word"),
    Col("operation", "operation", "word", drop=3),
    Col("claimed_at", "since", "time", drop=2),
    Col("holder_task", "task", "text", drop=4),
]
ALL_COLS = [
    Col("timestamp", "when", "time", drop=2),
    Col("file_path", "file", "text"),
    Col("agent", "agent", "id"),
    Col("session", "session", "id", drop=1),
    Col("operation", "operation", "word"),
    Col("status", "status", "word", drop=4),
    Col("phase", "phase", "word", drop=5),
    Col("released_at", "released", "time", drop=6),
]
CONFLICT_COLS = [
    Col("timestamp", "when", "time", drop=2),
    Col("file_path", "file", "text"),
    Col("agent", "wanted by", "id"),
    Col("holder", "held by", "id"),
    Col("answer", "answer", "word", style=lambda v: "red" if v == "deny" else "yellow"),
    Col("session", "session", "id", drop=1),
    Col("holder_task", "holder's task", "text", drop=3),
]


def _labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Agent labels and short session ids for the table."""
    from hookledger.faces.inspect.format import agent_label

    for row in rows:
        row["session"] = (row.get("session_id") or "")[:8]
        if "agent_id" in row:
            row["agent"] = agent_label(row["agent_id"], row.get("agent_type"))
        if "holder_agent_id" in row:
            row["holder"] = agent_label(row["holder_agent_id"], row.get("holder_agent_type"))
        if "live" in row:
            row["live"] = "yes" if row["live"] else "no"
    return rows


@click.command(name="claims")
@ledger_options
@click.option("--all", "show_all", is_flag=True, help="Every claim, not only the current holder of each file.")
@click.option("--conflicts", is_flag=True, help="Conflicts seen and how they were answered (v_claim_conflicts).")
@click.option("--file", "file_path", default=None, help="Only this file (as stored: relative to the project root).")
@click.option("--agent", "agent_id", default=None,
              help="Only this agent's claims: an id or prefix, or a label as printed (main, general-purpose·aff41339).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (full ids, UTC times) instead of a table.")
def command(project: str | None, db_path: str | None, show_all: bool, conflicts: bool, file_path: str | None,
            agent_id: str | None, as_json: bool) -> None:
    """File claims. By default the holder of each file (v_file_owners: live = the holder is
    still running); --all lists every claim; --conflicts lists each time an agent wanted a file
    another live agent held, with the holder's task and the answer given (warn, ask, deny).
    Times are local; --json gives UTC."""
    from hookledger.knowledge.project_paths import normalise

    project_dir, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sql, agent_col, order = CONFLICTS if conflicts else ALL if show_all else OWNERS
    where, params = [], []
    if file_path:
        where.append(("c." if show_all and not conflicts else "") + "file_path = ?")
        params.append(normalise(file_path, project_dir, None) or file_path)
    if agent_id:
        where.append(f"{agent_col} = ?")
        params.append(pick_agent(conn, agent_id))
    found = fetch(conn, sql + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order}", params)
    if as_json:
        echo_rows(found, True, "")
        return
    scope = "".join([f" for {file_path}" if file_path else "", f" by {agent_id}" if agent_id else ""])
    empty = (f"no claim conflicts recorded{scope}" if conflicts else f"no file claims recorded{scope}" if show_all
             else f"no file is held{scope}" + ("" if where else " (no file claims recorded)"))
    echo_rows(_labelled(found), False, empty, CONFLICT_COLS if conflicts else ALL_COLS if show_all else OWNER_COLS)
