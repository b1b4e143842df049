"""`hookledger failed-path`: record, list and clear approaches that did not work.

Meant to be run by the model from a Bash tool call inside Claude Code (a line in CLAUDE.md
tells it to): the ledger is found from $CLAUDE_PROJECT_DIR or the current directory, and
the session from $CLAUDE_CODE_SESSION_ID. Recorded paths are in every continuity brief until
they are cleared (by hand, or when the error they came from is fixed).
"""

from __future__ import annotations

import os

import click

from hookledger.faces.commands.common import (echo_rows, ledger_options, open_ledger, pick_session, resolve_upward,
                                              where_session)
from hookledger.faces.table import Col

LIST_COLS = [Col("id", "#", "id"), Col("timestamp", "when", "time", drop=2), Col("session", "session", "id", drop=1),
             Col("file_path", "file", "text", drop=3), Col("approach", "approach", "text"),
             Col("reason_failed", "why it failed", "text"), Col("relevant", "relevant", "word", drop=4)]


@click.group(name="failed-path")
def command() -> None:
    """Approaches that failed: kept so they are not retried after a compaction."""


@command.command(name="add")
@ledger_options
@click.option("--approach", required=True, help="What was tried (e.g. 'pin numpy<2 in requirements.txt').")
@click.option("--reason", required=True, help="Why it failed (the error, or what it broke).")
@click.option("--file", "file_path", default=None, help="The file it concerned (stored relative to the project).")
@click.option("--context", default=None, help="Anything else worth knowing next time.")
@click.option("--session", "session_id", default=None,
              help="Session id (default: $CLAUDE_CODE_SESSION_ID, set by Claude Code for its tool calls).")
def add(project: str | None, db_path: str | None, approach: str, reason: str, file_path: str | None,
        context: str | None, session_id: str | None) -> None:
    """Record a failed approach (de-duplicated: the same approach on the same file is one entry)."""
    from hookledger.handlers import failed_paths
    from hookledger.faces.cli import HookledgerError
    from hookledger.knowledge.project_paths import normalise
    from hookledger.store.conn import write_txn
    from hookledger.hotpath.timeutil import utc_now

    project_dir, db = resolve_upward(project, db_path)
    ledger = open_ledger(db, must_exist=False)
    sid = session_id or os.environ.get("CLAUDE_CODE_SESSION_ID") or None
    path = normalise(file_path, project_dir, os.getcwd()) if file_path else None
    try:
        with write_txn(ledger.conn):
            signature = _open_error_signature(ledger.conn, sid, path)
            row_id, created = failed_paths.record(ledger.conn, session_id=sid, now=utc_now(), approach=approach,
                                                  reason=reason, file_path=path, context=context, signature=signature)
    except ValueError as exc:
        raise HookledgerError(str(exc)) from exc
    from hookledger.faces.output import say

    say(f"{'recorded' if created else 'already recorded, updated'} failed path #{row_id}"
               + (f" (linked to the open error `{signature}`: cleared when it is fixed)" if signature else ""))


def _open_error_signature(conn, session_id: str | None, file_path: str | None) -> str | None:
    """The session's latest open error on the same file: fixing it makes this path irrelevant."""
    if not session_id or not file_path:
        return None
    row = conn.execute("SELECT signature FROM error_log WHERE session_id = ? AND file_path = ? AND resolved_at IS NULL"
                       " ORDER BY id DESC LIMIT 1", (session_id, file_path)).fetchone()
    return row[0] if row else None


@command.command(name="list")
@ledger_options
@click.option("--all", "show_all", is_flag=True, help="Include paths no longer relevant.")
@click.option("--session", "session_id", default=None, help="Only this session's paths.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def list_paths(project: str | None, db_path: str | None, show_all: bool, session_id: str | None, as_json: bool) -> None:
    """Failed paths, newest first (still relevant ones unless --all)."""
    _, db = resolve_upward(project, db_path)
    ledger = open_ledger(db)
    sid = pick_session(ledger.conn, session_id) if session_id else None
    where, params = where_session("1 = 1" if show_all else "still_relevant = 1", sid)
    found = [dict(r) for r in ledger.query(
        "SELECT id, timestamp, session_id, file_path, approach, reason_failed, context, still_relevant"
        f" FROM failed_paths WHERE {where} ORDER BY id DESC", params)]
    for row in found:
        row["session"], row["relevant"] = (row["session_id"] or "")[:8], "yes" if row["still_relevant"] else "no"
    scope = f" in session {sid[:8]}" if sid else ""
    total = ledger.conn.execute(f"SELECT count(*) FROM failed_paths WHERE {where_session('1 = 1', sid)[0]}",
                                params).fetchone()[0]
    empty = (f"no failed paths recorded{scope}" if show_all or not total else
             f"no failed path is still relevant{scope} ({total} recorded, all cleared: --all shows them)")
    if as_json:
        for row in found:
            del row["session"], row["relevant"]
    echo_rows(found, as_json, empty, [c for c in LIST_COLS if not (sid and c.key == "session")])


@command.command(name="clear")
@ledger_options
@click.argument("ids", nargs=-1, type=int, required=True)
def clear(project: str | None, db_path: str | None, ids: tuple[int, ...]) -> None:
    """Mark failed paths as no longer relevant (they stay in the ledger, out of the brief)."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.store.conn import write_txn

    _, db = resolve_upward(project, db_path)
    ledger = open_ledger(db)
    with write_txn(ledger.conn):
        done = ledger.conn.execute(
            f"UPDATE failed_paths SET still_relevant = 0 WHERE id IN ({','.join('?' * len(ids))})", ids).rowcount
    if not done:
        raise HookledgerError(f"no failed path with id {', '.join(map(str, ids))}")
    click.echo(f"cleared {done} failed path(s)")
