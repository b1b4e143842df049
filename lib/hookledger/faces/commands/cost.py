"""`hookledger cost`: what the sessions' tokens cost, per day, session, model, agent or project."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, resolve_upward
from hookledger.faces.table import Col
from hookledger.knowledge.costs import GROUPS

COLS = [
    Col("key", "", "id"),
    Col("messages", "responses", "num", drop=4),
    Col("input", "input", "num"),
    Col("output", "output", "num"),
    Col("cache_write_5m", "cache write 5m", "num", drop=2),
    Col("cache_write_1h", "cache write 1h", "num", drop=3),
    Col("cache_read", "cache read", "num", drop=1),
    Col("cost", "cost", "word", style=lambda v: "yellow" if v and v.startswith("unpriced") else None),
]


def _row(key: str, cost: Any) -> dict[str, Any]:
    from hookledger.knowledge.costs import cents

    shown = cents(cost.usd)
    if cost.unpriced:
        shown = f"unpriced ({cents(cost.priced_usd)} priced)" if cost.priced_usd else "unpriced"
    return {"key": key, "messages": cost.messages, "input": cost.input, "output": cost.output,
            "cache_write_5m": cost.cache_write_5m, "cache_write_1h": cost.cache_write_1h,
            "cache_read": cost.cache_read, "cost": shown}


@click.command(name="cost")
@ledger_options
@click.option("--by", "by", type=click.Choice(GROUPS), default="day", show_default=True,
              help="Group the cost by UTC day, session, model, agent or project.")
@click.option("--since", default=None, metavar="DATE", help="Only responses from this UTC day on (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (exact USD as strings) instead of a table.")
def command(project: str | None, db_path: str | None, by: str, since: str | None, as_json: bool) -> None:
    """Cost in USD of the model responses the ledger holds (read from the transcripts by the hooks
    or by `hookledger import`), from the price table (knowledge/prices.json, overridden by the
    `prices` key of .claude/hookledger.json): input, 5-minute and 1-hour cache writes, cache
    reads and output, each at its own rate. A model without a price is shown as unpriced and
    listed, never counted as $0."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.inspect.pricing import ledger_project, table_for
    from hookledger.faces.output import echo_json, say
    from hookledger.faces.table import print_table
    from hookledger.knowledge.costs import Cost, grouped_costs

    if since is not None and not _is_day(since):
        raise HookledgerError(f"--since {since!r}: expected a day, YYYY-MM-DD")
    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    table = table_for(ledger_project(conn))
    groups = grouped_costs(conn, by, since, table)
    total = Cost()
    for cost in groups.values():
        total.merge(cost)
    keys = sorted(groups, reverse=by == "day")
    if as_json:
        echo_json({"by": by, "since": since, "groups": [{by: k, **groups[k].as_dict()} for k in keys],
                   "total": total.as_dict(), "price_problems": table.problems})
        return
    rows = [_row(k if by != "session" else k[:8], groups[k]) for k in keys]
    cols = [Col("key", by, "id")] + COLS[1:]
    print_table(rows + ([_row("total", total)] if len(rows) > 1 else []), cols, empty="no token usage recorded")
    if total.unpriced:
        listed = ", ".join(f"{m} ({n} responses)" for m, n in sorted(total.unpriced.items()))
        say(f"unpriced models: {listed}; add their prices under `prices` in .claude/hookledger.json", stderr=True)
    for problem in table.problems:
        say(problem, stderr=True)


def _is_day(text: str) -> bool:
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
