"""`hookledger errors`: failed tool calls, grouped by what failed, with their attempts."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import echo_rows, ledger_options, open_ledger, resolve_upward, shorten_sessions, where_session


@click.command(name="errors")
@ledger_options
@click.option("--all", "show_all", is_flag=True, help="Include fixed and abandoned errors.")
@click.option("--session", "session_id", default=None, help="Only this session's errors.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def command(project: str | None, db_path: str | None, show_all: bool, session_id: str | None, as_json: bool) -> None:
    """Open errors (not fixed, session not ended): what failed, its category and file, how many
    attempts, the escalation reached and the latest message. --all adds fixed and abandoned ones."""
    _, db = resolve_upward(project, db_path)
    ledger = open_ledger(db)
    where, params = where_session("1 = 1" if show_all else "resolved_at IS NULL", session_id)
    found = [dict(r) for r in ledger.query(
        "SELECT max(id) AS last_id, session_id, coalesce(command, signature, tool_name) AS what, error_category AS category,"
        " file_path, attempt_number AS attempts, resolution, escalation, timestamp AS last_at,"
        " substr(replace(error_message, char(10), ' '), 1, 120) AS last_error"
        f" FROM error_log WHERE {where}"
        " GROUP BY session_id, coalesce(signature, CAST(id AS TEXT)), coalesce(resolved_at, '')"
        " ORDER BY last_id DESC", params)]
    echo_rows(found if as_json else shorten_sessions(found), as_json, "no open errors" if not show_all else "no errors recorded")
