"""`hookledger status`: where the ledger is, how big, which schema, what it holds, what waits."""

from __future__ import annotations

import json

import click

from hookledger.commands.common import ledger_options, open_ledger, resolve_upward


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


@click.command(name="status")
@ledger_options
@click.option("--replay-spool", is_flag=True, help="Record spooled events now instead of at the next hook run.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of a table.")
def command(project: str | None, db_path: str | None, replay_spool: bool, as_json: bool) -> None:
    """Ledger path and size, schema version, sessions, events, live agents, open errors, spool
    backlog (events that could not be written yet) and the time of the last event."""
    from hookledger.inspect.queries import status

    _, db = resolve_upward(project, db_path)
    ledger = open_ledger(db)
    if replay_spool:
        from hookledger.runtime import replay_spool as replay

        click.echo(f"replayed {replay(ledger.conn, db, budget_s=60.0)} spooled event(s)", err=True)
    found = status(ledger.conn, db)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    shown = dict(found)
    shown["size_bytes"] = human_size(found["size_bytes"])
    if found["schema_version"] != found["code_schema_version"]:
        shown["schema_version"] = f"{found['schema_version']} (code expects {found['code_schema_version']})"
    del shown["code_schema_version"]
    width = max(len(k) for k in shown)
    for key, value in shown.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {'-' if value is None else value}")
