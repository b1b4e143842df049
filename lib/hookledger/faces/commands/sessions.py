"""`hookledger sessions`: the recorded sessions, newest first, with their counts."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, resolve_upward
from hookledger.faces.table import Col

COLS = [
    Col("session", "session", "id"),
    Col("status", "status", "word", style=lambda v: {"active": "green", "abandoned": "yellow"}.get(v)),
    Col("started_at", "started", "time", drop=2),
    Col("took", "took", "word"),
    Col("tool_calls", "tools", "num"),
    Col("subagents", "agents", "num"),
    Col("files_changed", "files", "num"),
    Col("errors_shown", "errors", "word", style=lambda v: "red" if v and "open" in v else None),
    Col("compactions", "compactions", "num", drop=6),
    Col("events", "events", "num", drop=7),
    Col("how", "start > end", "word", drop=8),
    Col("tokens", "tokens", "word", drop=5),
    Col("cost", "cost", "word", drop=3),
    Col("model", "model", "text", drop=9),
]


def _tokens(t: dict[str, Any] | None) -> str:
    """'12.3k/4.5k (1.2M)': input/output, then cache reads and writes together."""
    from hookledger.faces.inspect.format import human_count

    if not t:
        return ""
    cache = (t["cache_read_input_tokens"] or 0) + (t["cache_creation_input_tokens"] or 0)
    return f"{human_count(t['input_tokens'])}/{human_count(t['output_tokens'])}" + (f" ({human_count(cache)})" if cache else "")


def _for_table(row: dict[str, Any], tokens: dict[str, Any] | None, cost: float | None) -> dict[str, Any]:
    """One session as the table shows it: short id, how it started and ended, the counts."""
    from hookledger.faces.inspect.format import human_duration
    from hookledger.faces.inspect.pricing import usd

    errors = row["errors"] or 0
    end = row["end_reason"] or ("-" if row["status"] == "active" else "?")
    return {**row, "session": (row["session_id"] or "")[:8], "took": human_duration(row["duration_s"]),
            "how": "imported" if row.get("origin") == "import" else f"{row['source'] or '?'} > {end}",
            "tokens": _tokens(tokens),
            "cost": usd(cost) if cost is not None or not tokens else "unpriced",
            "errors_shown": f"{errors} ({row['open_errors']} open)" if row["open_errors"] else str(errors)}


@click.command(name="sessions")
@ledger_options
@click.option("--limit", type=int, default=20, show_default=True, help="How many sessions (0 = all).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (every v_sessions column, tokens, cost) instead of a table.")
def command(project: str | None, db_path: str | None, limit: int, as_json: bool) -> None:
    """Sessions, newest first (the v_sessions view): status, start and duration, tool calls,
    subagents, files changed, errors (open ones), compactions, hook events, how it started and
    ended, tokens (input/output, cache in brackets), cost and model. Ids are shortened in the
    table; any unique prefix works for --session elsewhere. Times are local; --json gives UTC."""
    from hookledger.faces.inspect.pricing import as_float, costs as session_costs
    from hookledger.faces.inspect.queries import sessions, tokens_by_session

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    found = sessions(conn, limit or None)
    tokens = tokens_by_session(conn, [r["session_id"] for r in found])
    priced = session_costs(conn, [r["session_id"] for r in found])
    costs = {sid: as_float(cost) for sid, cost in priced.items()}
    if as_json:
        echo_rows([{**r, "tokens": tokens.get(r["session_id"]), "cost_usd": costs[r["session_id"]],
                    "unpriced_models": sorted(priced[r["session_id"]].unpriced)} for r in found], True, "")
        return
    echo_rows([_for_table(r, tokens.get(r["session_id"]), costs[r["session_id"]]) for r in found], False,
              "no sessions recorded", COLS)
