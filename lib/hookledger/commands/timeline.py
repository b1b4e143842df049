"""`hookledger timeline`: one session, moment by moment."""

from __future__ import annotations

import click

from hookledger.commands.common import echo_rows, ledger_options, open_ledger, pick_session, resolve_upward

KINDS = ("hook", "hook_error", "file_change", "error", "compaction", "agent_start", "agent_stop")


def short_agent(agent_id: str | None) -> str:
    return "main" if (agent_id or "").startswith("main:") else (agent_id or "")[:12]


@click.command(name="timeline")
@ledger_options
@click.option("--session", "session_id", default=None, help="Session id or prefix (default: the latest).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only these kinds (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def command(project: str | None, db_path: str | None, session_id: str | None, kinds: tuple[str, ...], as_json: bool) -> None:
    """What happened in a session, in order (the v_session_timeline view): every hook run,
    file change, error, compaction, and subagent start and stop, with the agent it belongs to."""
    from hookledger.inspect.queries import timeline

    _, db = resolve_upward(project, db_path)
    conn = open_ledger(db).conn
    sid = pick_session(conn, session_id)
    found = timeline(conn, sid, list(kinds) or None)
    if not as_json:
        click.echo(f"session {sid}")
        for row in found:
            row["agent_id"] = short_agent(row["agent_id"])
            row["detail"] = (row["detail"] or "").replace("\n", " ")[:70]
            del row["source_table"], row["source_id"]
    echo_rows(found, as_json, "nothing recorded for this session")
