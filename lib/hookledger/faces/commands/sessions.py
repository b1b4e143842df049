"""`hookledger sessions`: the recorded sessions, newest first, with their counts."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, resolve_upward


def _for_table(row: dict[str, Any]) -> dict[str, Any]:
    """One session as a table row: short id, how it started and ended, the counts."""
    from hookledger.faces.inspect.format import human_duration

    errors = row["errors"] or 0
    return {
        "session": (row["session_id"] or "")[:8],
        "status": row["status"],
        "started (UTC)": (row["started_at"] or "")[:19],
        "duration": human_duration(row["duration_s"]),
        "start > end": f"{row['source'] or '?'} > {row['end_reason'] or ('-' if row['status'] == 'active' else '?')}",
        "model": row["model"],
        "events": row["events"],
        "tool calls": row["tool_calls"],
        "subagents": row["subagents"],
        "files": row["files_changed"],
        "errors": f"{errors} ({row['open_errors']} open)" if row["open_errors"] else errors,
        "compactions": row["compactions"],
    }


@click.command(name="sessions")
@ledger_options
@click.option("--limit", type=int, default=20, show_default=True, help="How many sessions (0 = all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (every v_sessions column) instead of a table.")
def command(project: str | None, db_path: str | None, limit: int, as_json: bool) -> None:
    """Sessions, newest first (the v_sessions view): status, start and duration, how it started
    and ended, hook events, tool calls, subagents, files changed, errors and compactions. Ids
    are shortened in the table; any unique prefix works for `timeline --session` and
    `report --session`."""
    from hookledger.faces.inspect.queries import sessions

    _, db = resolve_upward(project, db_path)
    found = sessions(connect_ledger(db), limit or None)
    echo_rows(found if as_json else [_for_table(r) for r in found], as_json, "no sessions recorded")
