"""`hookledger verdicts`: the verdicts on task completions, with their tasks."""

from __future__ import annotations

import json

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, pick_session, resolve_upward
from hookledger.faces.inspect.queries import fetch
from hookledger.faces.table import Col

REASON_WIDTH = 240  # characters of a reason in the table (--json has it whole)
COLS = [
    Col("id", "#", "id"),
    Col("timestamp", "when", "time", drop=3),
    Col("session", "session", "id", drop=1),
    Col("task_id", "task", "id"),
    Col("subject", "subject", "text", drop=4),
    Col("event", "event", "word", drop=5),
    Col("source", "source", "word", drop=2),
    Col("decision", "decision", "word", style=lambda v: "red" if v == "block" else "green"),
    Col("reason", "reason", "text"),
]


@click.command(name="verdicts")
@ledger_options
@click.option("--session", "session_id", default=None, help="Only this session (an id or a unique prefix).")
@click.option("--task", "task_id", default=None, help="Only this task id.")
@click.option("--blocks", "blocks_only", is_flag=True, help="Only blocks.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (with verdict_json decoded, UTC times) instead of a table.")
def command(project: str | None, db_path: str | None, session_id: str | None, task_id: str | None,
            blocks_only: bool, limit: int, as_json: bool) -> None:
    """Verdicts on task completions, newest first: the gate's decision on each TaskCompleted
    (source observe, checks or judge), judges' verdicts (judge:NAME; event `judge` = waiting
    for the task's next completion) and what the TaskUpdate result showed (source hooks),
    each with its task's subject and current status. Times are local; --json gives UTC."""
    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    where, params = ["1 = 1"], []
    sid = pick_session(conn, session_id) if session_id else None
    if sid:
        where.append("v.session_id = ?")
        params.append(sid)
    if task_id:
        where.append("v.task_id = ?")
        params.append(task_id)
    if blocks_only:
        where.append("v.decision = 'block'")
    found = fetch(conn,
        "SELECT v.id, v.timestamp, v.session_id, v.task_id, t.subject, t.status AS task_status,"
        " v.hook_event AS event, v.source, v.decision, v.reason, v.verdict_json"
        " FROM llm_verdicts v LEFT JOIN tasks t ON t.session_id = v.session_id AND t.task_id = v.task_id"
        f" WHERE {' AND '.join(where)} ORDER BY v.id DESC LIMIT ?", [*params, limit])
    for row in found:
        raw = row.pop("verdict_json")
        if as_json:
            try:
                row["verdict"] = json.loads(raw) if raw else None
            except ValueError:
                row["verdict"] = raw  # a row from another writer: kept as it is
        else:
            row["session"] = (row["session_id"] or "")[:8]
            row["reason"] = " ".join((row["reason"] or "").split())[:REASON_WIDTH]
    what = " ".join(w for w in ("block" if blocks_only else "", "verdicts") if w)
    scope = "".join([f" for task {task_id}" if task_id else "", f" in session {sid[:8]}" if sid else ""])
    echo_rows(found, as_json, f"no {what} recorded{scope}", [c for c in COLS if not (sid and c.key == "session")])
