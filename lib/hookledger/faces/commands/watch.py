"""`hookledger watch`: a live full-screen view of a session while its agents work."""

from __future__ import annotations

import sys

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, pick_session, resolve_upward


@click.command(name="watch")
@ledger_options
@click.option("--session", "session_id", default=None,
              help="Session id or prefix (default: the latest, switching when a new session starts).")
@click.option("--once", is_flag=True, help="Print one frame and exit (also what happens when stdout is no terminal).")
def command(project: str | None, db_path: str | None, session_id: str | None, once: bool) -> None:
    """Watch a session live, full screen, redrawn in place at least once a second: running
    agents and the tool each is in, files held and claim conflicts, open errors and
    escalations, the latest events as the hooks record them, and the session's tokens (and
    cost, once priced). q or Ctrl-C quits and restores the terminal. Reads the ledger through a
    read-only connection, a few short queries only when it changed: hooks are never kept
    waiting. For logs and pipes use `hookledger timeline --follow`."""
    from hookledger.faces import watch

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)  # brings an older ledger up to date once; the view itself only reads
    sid = pick_session(conn, session_id) if session_id else None
    conn.close()
    watch.run(db, sid, once=once or not sys.stdout.isatty())
