"""`hookledger status`: where the ledger is, how big, which schema, what it holds, what waits."""

from __future__ import annotations

import json
from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, resolve_upward


def _lines(found: dict[str, Any]) -> list[tuple[str, Any]]:
    """The status as (label, value) lines for people."""
    from hookledger.faces.inspect.format import human_size

    schema = found["schema_version"]
    if schema != found["code_schema_version"]:
        schema = f"{schema} (this hookledger expects {found['code_schema_version']})"
    return [
        ("ledger", found["ledger"]),
        ("size", human_size(found["size_bytes"])),
        ("schema version", schema),
        ("sessions", f"{found['sessions']} ({found['active_sessions']} active)"),
        ("hook events", found["events"]),
        ("last event (UTC)", found["last_event_at"]),
        ("live agents", found["live_agents"]),
        ("open errors", found["open_errors"]),
        ("spool backlog", found["spool_backlog"]),
        ("spool quarantined", found["spool_quarantined"] or 0),
    ]


@click.command(name="status")
@ledger_options
@click.option("--replay-spool", is_flag=True, help="Record spooled events now instead of at the next hook run.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def command(project: str | None, db_path: str | None, replay_spool: bool, as_json: bool) -> None:
    """Ledger path and size, schema version, sessions, events, live agents, open errors, spool
    backlog (events that could not be written yet) and the time of the last event."""
    from hookledger.faces.inspect.queries import status

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    if replay_spool:
        from hookledger import handlers
        from hookledger.hotpath.runtime import replay_spool as replay

        from hookledger.hotpath import spool

        before = len(spool.quarantined(db))
        done = replay(conn, db, handlers, budget_s=60.0)
        set_aside = len(spool.quarantined(db)) - before
        click.echo(f"replayed {done} spooled event(s)"
                   + (f"; {set_aside} unreplayable file(s) quarantined (see hookledger doctor)" if set_aside > 0 else ""),
                   err=True)
    found = status(conn, db)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    lines = _lines(found)
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        click.echo(f"{label:<{width}}  {'-' if value is None else value}")
