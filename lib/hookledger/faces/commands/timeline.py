"""`hookledger timeline`: one session, moment by moment."""

from __future__ import annotations

from typing import Any

import click

from hookledger.faces.commands.common import connect_ledger, echo_rows, ledger_options, pick_session, resolve_upward

KINDS = ("hook", "hook_error", "file_change", "error", "conflict", "failed_path", "compaction",
         "agent_start", "agent_stop")


def _event(event: str | None, tool: str | None) -> str:
    """'PreToolUse Write'; a file change's operation once, not twice."""
    return f"{event or ''} {tool}".strip() if tool and tool != event else (event or "")


def _for_table(rows: list[dict[str, Any]], labels: dict[str, str], session_id: str) -> list[dict[str, Any]]:
    """Moments as table rows: time of day, agent label, what happened, how long, the detail."""
    from hookledger.faces.inspect.format import agent_label, one_line

    return [{
        "time (UTC)": (r["at"] or "")[11:23],
        "agent": labels.get(r["agent_id"]) or agent_label(r["agent_id"], None, session_id),
        "kind": r["kind"],
        "event": _event(r["event"], r["tool_name"]),
        "ms": r["duration_ms"],
        "outcome": r["outcome"],
        "detail": one_line(r["detail"], 70),
    } for r in rows]


@click.command(name="timeline")
@ledger_options
@click.option("--session", "session_id", default=None, help="Session id or prefix (default: the latest).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only these kinds (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (every column, full ids) instead of a table.")
def command(project: str | None, db_path: str | None, session_id: str | None, kinds: tuple[str, ...], as_json: bool) -> None:
    """What happened in a session, in order (the v_session_timeline view): every hook run,
    file change, tool error, claim conflict, failed path, compaction, and subagent start and
    stop, with the agent it belongs to."""
    from hookledger.faces.inspect.format import agent_label
    from hookledger.faces.inspect.queries import session_agents, timeline

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id)
    found = timeline(conn, sid, list(kinds) or None)
    if as_json:
        echo_rows(found, True)
        return
    labels = {a["agent_id"]: agent_label(a["agent_id"], a["agent_type"], sid) for a in session_agents(conn, sid)}
    click.echo(f"session {sid}" + (f", {found[0]['at'][:10]}" if found and found[0]["at"] else ""))
    echo_rows(_for_table(found, labels, sid), False, "nothing recorded for this session")
