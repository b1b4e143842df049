"""`hookledger status`: where the ledger is, how big, which schema, what it holds, what waits."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, resolve_upward
from hookledger.faces.table import Col

COLS = [Col("label", "", "id"), Col("value", "", "text")]


def _lines(found: dict[str, Any]) -> list[tuple[str, Any]]:
    """The status as (label, value) lines for people."""
    from hookledger.faces.inspect.format import human_count, human_size, local_time
    from hookledger.faces.inspect.pricing import usd

    schema = found["schema_version"]
    if schema != found["code_schema_version"]:
        schema = f"{schema} (this hookledger expects {found['code_schema_version']})"
    tokens = found.get("tokens") or {}
    spent = (f"{human_count(tokens.get('input_tokens'))} in / {human_count(tokens.get('output_tokens'))} out, cache "
             f"{human_count(tokens.get('cache_read_input_tokens'))} read / "
             f"{human_count(tokens.get('cache_creation_input_tokens'))} written") if tokens.get("responses") else "-"
    return [
        ("ledger", found["ledger"]),
        ("size", human_size(found["size_bytes"])),
        ("schema version", schema),
        ("sessions", f"{found['sessions']} ({found['active_sessions']} active)"),
        ("hook events", found["events"]),
        ("last event", local_time(found["last_event_at"]) or "-"),
        ("live agents", found["live_agents"]),
        ("open errors", found["open_errors"]),
        ("spool backlog", found["spool_backlog"]),
        ("spool quarantined", found["spool_quarantined"] or 0),
        ("tokens", spent),
        ("cost", usd(found.get("cost_usd")) or ("unpriced: " + ", ".join(found.get("unpriced_models") or [])
                                                 if found.get("unpriced_models") else "-")),
    ]


@click.command(name="status")
@ledger_options
@click.option("--replay-spool", is_flag=True, help="Record spooled events now instead of at the next hook run.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (UTC times) instead of a table.")
def command(project: str | None, db_path: str | None, replay_spool: bool, as_json: bool) -> None:
    """Ledger path and size, schema version, sessions, events, live agents, open errors, spool
    backlog (events that could not be written yet), the time of the last event (local; UTC in
    --json), and the tokens (and cost, once priced) of all sessions."""
    from hookledger.faces.inspect.queries import status, total_tokens
    from hookledger.faces.output import echo_json, say
    from hookledger.faces.table import print_table

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    if replay_spool:
        from hookledger import handlers
        from hookledger.hotpath.runtime import replay_spool as replay

        from hookledger.hotpath import spool

        before = len(spool.quarantined(db))
        done = replay(conn, db, handlers, budget_s=60.0)
        set_aside = len(spool.quarantined(db)) - before
        say(f"replayed {done} spooled event(s)"
            + (f"; {set_aside} unreplayable file(s) quarantined (see hookledger doctor)" if set_aside > 0 else ""),
            stderr=True)
    from hookledger.faces.inspect.pricing import as_float, total_cost

    spent = total_cost(conn)
    found = {**status(conn, db), "tokens": total_tokens(conn), "cost_usd": as_float(spent),
             "unpriced_models": sorted(spent.unpriced)}
    if as_json:
        echo_json(found)
        return
    rows = [{"label": label, "value": "-" if value is None else str(value)} for label, value in _lines(found)]
    print_table(rows, COLS, empty="", header=False)
