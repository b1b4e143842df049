"""`hookledger verdicts`: the verdicts on task completions, with their tasks."""

from __future__ import annotations

import json

import click

from hookledger.faces.commands.common import echo_rows, ledger_options, open_ledger, pick_session, resolve_upward, shorten_sessions

REASON_WIDTH = 100


@click.command(name="verdicts")
@ledger_options
@click.option("--session", "session_id", default=None, help="Only this session (an id or a unique prefix).")
@click.option("--task", "task_id", default=None, help="Only this task id.")
@click.option("--blocks", "blocks_only", is_flag=True, help="Only blocks.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (with verdict_json decoded) instead of a table.")
def command(project: str | None, db_path: str | None, session_id: str | None, task_id: str | None,
            blocks_only: bool, limit: int, as_json: bool) -> None:
    """Verdicts on task completions, newest first: the gate's decision on each TaskCompleted
    (source observe, checks or judge), judges' verdicts (judge:NAME; event `judge` = waiting
    for the task's next completion) and what the TaskUpdate result showed (source hooks),
    each with its task's subject and current status."""
    _, db = resolve_upward(project, db_path)
    ledger = open_ledger(db)
    where, params = ["1 = 1"], []
    if session_id:
        where.append("v.session_id = ?")
        params.append(pick_session(ledger.conn, session_id))
    if task_id:
        where.append("v.task_id = ?")
        params.append(task_id)
    if blocks_only:
        where.append("v.decision = 'block'")
    found = [dict(r) for r in ledger.query(
        "SELECT v.id, v.timestamp, v.session_id, v.task_id, t.subject, t.status AS task_status,"
        " v.hook_event AS event, v.source, v.decision, v.reason, v.verdict_json"
        " FROM llm_verdicts v LEFT JOIN tasks t ON t.session_id = v.session_id AND t.task_id = v.task_id"
        f" WHERE {' AND '.join(where)} ORDER BY v.id DESC LIMIT ?", [*params, limit])]
    for row in found:
        raw = row.pop("verdict_json")
        if as_json:
            try:
                row["verdict"] = json.loads(raw) if raw else None
            except ValueError:
                row["verdict"] = raw  # a row from another writer: kept as it is
        else:
            reason = " ".join((row["reason"] or "").split())
            row["reason"] = reason if len(reason) <= REASON_WIDTH else reason[:REASON_WIDTH - 3] + "..."
    echo_rows(found if as_json else shorten_sessions(found), as_json, "no verdicts recorded")
