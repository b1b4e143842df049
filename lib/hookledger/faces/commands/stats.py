"""`hookledger stats`: hook latency per event and the slowest hook runs."""

from __future__ import annotations

import json

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, pick_session, resolve_upward, shorten_sessions


@click.command(name="stats")
@ledger_options
@click.option("--session", "session_id", default=None, help="Only this session (id or prefix); default all.")
@click.option("--slowest", type=int, default=10, show_default=True, help="How many of the slowest runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of tables.")
def command(project: str | None, db_path: str | None, session_id: str | None, slowest: int, as_json: bool) -> None:
    """Per hook event: runs, p50, p95 and max of the time spent inside the hook (duration_ms,
    nearest rank; the interpreter's start, about 20-30 ms, comes on top) and handler errors;
    then the slowest single runs."""
    from hookledger.faces.inspect.queries import latency_by_event, slowest_runs

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id) if session_id else None
    by_event, slow = latency_by_event(conn, sid), slowest_runs(conn, sid, slowest)
    if as_json:
        click.echo(json.dumps({"session_id": sid, "by_event": by_event, "slowest": slow}, indent=2))
        return
    click.echo("Time inside each hook, per event (ms)" + (f", session {sid}" if sid else ", all sessions"))
    echo_rows(by_event, False, "no hook runs recorded")
    click.echo(f"\nSlowest {slowest} runs")
    echo_rows(shorten_sessions(slow), False, "no hook runs recorded")
