"""`hookledger timeline`: one session, moment by moment (or followed live with --follow)."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, pick_session, resolve_upward
from hookledger.faces.table import Col

KINDS = ("hook", "hook_error", "file_change", "error", "conflict", "failed_path", "compaction",
         "agent_start", "agent_stop")
OUTCOME_STYLE = {"answered": "cyan", "blocked": "red", "error": "red", "bad_input": "red"}
KIND_STYLE = {"error": "red", "hook_error": "red", "conflict": "magenta", "failed_path": "yellow",
              "compaction": "blue", "file_change": "green"}
COLS = [
    Col("at", "time", "clock"),
    Col("agent", "agent", "id"),
    Col("what", "event", "word"),
    Col("outcome", "outcome", "word", style=OUTCOME_STYLE.get),
    Col("kind", "kind", "word", drop=2, style=KIND_STYLE.get),
    Col("duration_ms", "ms", "num", drop=1),
    Col("detail", "detail", "line"),
]


def labelled(rows: list[dict[str, Any]], labels: dict[str, str], session_id: str) -> list[dict[str, Any]]:
    """Moments with their agent's label, a short event name, and only outcomes worth a word."""
    from hookledger.faces.inspect.format import agent_label, event_name, outcome_word

    return [{**r, "agent": labels.get(r["agent_id"]) or agent_label(r["agent_id"], None, session_id),
             "what": event_name(r["event"], r["tool_name"], r["kind"]),
             "outcome": outcome_word(r["kind"], r["outcome"])} for r in rows]


def agent_labels(conn: Any, session_id: str) -> dict[str, str]:
    from hookledger.faces.inspect.format import agent_label
    from hookledger.faces.inspect.queries import session_agents

    return {a["agent_id"]: agent_label(a["agent_id"], a["agent_type"], session_id) for a in session_agents(conn, session_id)}


@click.command(name="timeline")
@ledger_options
@click.option("--session", "session_id", default=None, help="Session id or prefix (default: the latest).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), metavar="KIND",
              help=f"Only these kinds (repeatable): {', '.join(KINDS)}.")
@click.option("--follow", "-f", is_flag=True,
              help="Keep printing new moments as the hooks record them, one plain line each (for logs and pipes); Ctrl-C stops.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (every column, full ids, UTC times) instead of a table;"
              " with --follow, one JSON object per line.")
def command(project: str | None, db_path: str | None, session_id: str | None, kinds: tuple[str, ...], follow: bool,
            as_json: bool) -> None:
    """What happened in a session, in order (the v_session_timeline view): every hook run,
    file change, tool error, claim conflict, failed path, compaction, and subagent start and
    stop, with the agent it belongs to (`main`, `general-purpose·aff41339`). Times are local
    (the date is in the heading); --json gives UTC. --follow keeps printing new moments."""
    from hookledger.faces.inspect.format import local_time
    from hookledger.faces.inspect.queries import timeline
    from hookledger.faces.output import say

    _, db = resolve_upward(project, db_path)
    if follow:
        from hookledger.faces.follow import follow as follow_lines

        follow_lines(db, session_id, list(kinds) or None, as_json=as_json)
        return
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id)
    found = timeline(conn, sid, list(kinds) or None)
    if as_json:
        echo_rows(found, True, "")
        return
    first = found[0]["at"] if found else None
    say(f"session {sid}" + (f", {local_time(first)[:10]}" if first else ""), style="bold")
    echo_rows(labelled(found, agent_labels(conn, sid), sid), False,
              "nothing recorded for this session" + (f" of kind {', '.join(kinds)}" if kinds else ""), COLS)
