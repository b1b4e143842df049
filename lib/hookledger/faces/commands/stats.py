"""`hookledger stats`: hook latency per event and the slowest hook runs."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, pick_session, resolve_upward
from hookledger.faces.table import Col

BY_EVENT_COLS = [Col("event", "event", "id"), Col("runs", "runs", "num"), Col("p50_ms", "p50 ms", "num"),
                 Col("p95_ms", "p95 ms", "num"), Col("max_ms", "max ms", "num"), Col("avg_ms", "avg ms", "num", drop=1),
                 Col("errors", "handler errors", "num", style=lambda v: "red" if v else None)]
SLOWEST_COLS = [Col("id", "run", "id"), Col("timestamp", "when", "time", drop=2), Col("session", "session", "id", drop=1),
                Col("what", "event", "word"), Col("duration_ms", "ms", "num"),
                Col("outcome", "outcome", "word", style=lambda v: None if v in ("ok", "answered") else "red")]


@click.command(name="stats")
@ledger_options
@click.option("--session", "session_id", default=None, help="Only this session (id or prefix); default all.")
@click.option("--slowest", type=int, default=10, show_default=True, help="How many of the slowest runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object (UTC times) instead of tables.")
def command(project: str | None, db_path: str | None, session_id: str | None, slowest: int, as_json: bool) -> None:
    """Per hook event: runs, p50, p95 and max of the time spent inside the hook (duration_ms,
    nearest rank; the interpreter's start, about 20-30 ms, comes on top) and handler errors;
    then the slowest single runs (of the session, or of the latest 100,000 runs)."""
    from hookledger.faces.inspect.format import event_name
    from hookledger.faces.inspect.queries import RECENT_RUNS, event_count, latency_by_event, slowest_runs
    from hookledger.faces.output import echo_json, say
    from hookledger.faces.table import print_table

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id) if session_id else None
    by_event, slow = latency_by_event(conn, sid), slowest_runs(conn, sid, slowest)
    if as_json:
        echo_json({"session_id": sid, "by_event": by_event, "slowest": slow})
        return
    say("Time inside each hook, per event (ms)" + (f", session {sid}" if sid else ", all sessions"), style="bold")
    print_table(by_event, BY_EVENT_COLS, empty="no hook runs recorded")
    say()
    among = f" of the latest {RECENT_RUNS:,}" if not sid and event_count(conn) > RECENT_RUNS else ""
    say(f"Slowest {slowest} runs{among}", style="bold")
    for row in slow:
        row["session"], row["what"] = (row["session_id"] or "")[:8], event_name(row["event"], row["tool_name"])
    print_table(slow, [c for c in SLOWEST_COLS if not (sid and c.key == "session")], empty="no hook runs recorded")
