"""`hookledger errors`: failed tool calls, grouped by what failed, with their attempts."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import (connect_ledger, echo_rows, ledger_options, pick_session, resolve_upward,
                                              where_session)
from hookledger.faces.inspect.queries import fetch
from hookledger.faces.table import Col

STATE_STYLE = {"escalated_research": "yellow", "escalated_user": "red", "open": "red", "auto_fixed": "green"}
COLS = [
    Col("session", "session", "id", drop=1),
    Col("what", "what failed", "text"),
    Col("attempts", "tries", "num"),
    Col("state", "state", "word", style=STATE_STYLE.get),
    Col("category", "kind", "word", drop=3),
    Col("file_path", "file", "text", drop=4),
    Col("last_at", "last", "time", drop=2),
    Col("last_error", "last error", "text"),
]


@click.command(name="errors")
@ledger_options
@click.option("--all", "show_all", is_flag=True, help="Include fixed and abandoned errors.")
@click.option("--session", "session_id", default=None, help="Only this session's errors (an id or a unique prefix).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (full ids and messages, UTC times) instead of a table.")
def command(project: str | None, db_path: str | None, show_all: bool, session_id: str | None, as_json: bool) -> None:
    """Open errors (not fixed, session not ended): what failed, how many tries, its state (open,
    escalated_research, escalated_user), kind and file, when it last failed and the latest
    message. --all adds fixed (auto_fixed) and abandoned ones. Times are local; --json gives UTC."""
    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id) if session_id else None
    where, params = where_session("1 = 1" if show_all else "resolved_at IS NULL", sid)
    found = fetch(conn,
        "SELECT max(id) AS last_id, session_id, coalesce(command, signature, tool_name) AS what, error_category AS category,"
        " file_path, attempt_number AS attempts, resolution, escalation, timestamp AS last_at, error_message AS last_error"
        f" FROM error_log WHERE {where}"
        " GROUP BY session_id, coalesce(signature, CAST(id AS TEXT)), coalesce(resolved_at, '')"
        " ORDER BY last_id DESC", params)
    if as_json:
        echo_rows(found, True, "")
        return
    from hookledger.faces.inspect.format import one_line

    for row in found:
        row["session"] = (row["session_id"] or "")[:8]
        row["state"] = row["resolution"] or "open"
        row["last_error"] = one_line(row["last_error"], 160)
    scope = f" in session {sid[:8]}" if sid else ""
    if show_all:
        empty = f"no errors recorded{scope}"
    else:
        total = conn.execute(f"SELECT count(*) FROM error_log WHERE {where_session('1 = 1', sid)[0]}", params).fetchone()[0]
        empty = f"no open errors{scope}" + (f" ({total} recorded, all fixed or abandoned: --all shows them)" if total else
                                            " (none recorded)")
    echo_rows(found, False, empty, [c for c in COLS if not (sid and c.key == "session")])
