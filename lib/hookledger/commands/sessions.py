"""`hookledger sessions`: the recorded sessions, newest first, with their counts."""

from __future__ import annotations

import click

from hookledger.commands.common import echo_rows, ledger_options, open_ledger, resolve_upward, shorten_sessions


@click.command(name="sessions")
@ledger_options
@click.option("--limit", type=int, default=20, show_default=True, help="How many sessions (0 = all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def command(project: str | None, db_path: str | None, limit: int, as_json: bool) -> None:
    """Sessions (the v_sessions view): status, start and end, how it started and ended, hook
    events, subagents, files changed, errors and compactions. Ids are shortened in the table;
    any unique prefix works for `timeline --session` and `report --session`."""
    from hookledger.inspect.queries import sessions

    _, db = resolve_upward(project, db_path)
    found = sessions(open_ledger(db).conn, limit or None)
    echo_rows(found if as_json else shorten_sessions(found), as_json, "no sessions recorded")
