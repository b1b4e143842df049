"""Options and helpers shared by the subcommands (no `command` here: not a subcommand)."""

from __future__ import annotations

import os
import sqlite3
from typing import Any, Callable

import click

from hookledger.hotpath import paths


def ledger_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--project and --db, resolved the way the hooks resolve them."""
    fn = click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
                      help="Session database (default: $HOOKLEDGER_DB or PROJECT/.claude-session.db).")(fn)
    fn = click.option("--project", "project", type=click.Path(file_okay=False), default=None,
                      help="Project directory (default: $CLAUDE_PROJECT_DIR or the current directory).")(fn)
    return fn


def resolve(project: str | None, db_path: str | None) -> tuple[str, str]:
    """(project_dir, db_path) from the options, the environment, or the current directory."""
    project_dir = os.path.abspath(project) if project else paths.project_dir()
    if db_path:
        return project_dir, os.path.abspath(db_path)
    if project:
        return project_dir, os.path.join(project_dir, paths.DB_NAME)
    return project_dir, paths.db_path()


def connect_ledger(db_path: str, *, must_exist: bool = True) -> sqlite3.Connection:
    """A plain sqlite3 connection on the ledger, migrated to the current schema (no sqlite-utils
    import unless a migration is pending: about 35 ms saved for the read-only commands)."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.store.conn import LedgerUnavailable, connect

    if must_exist and not os.path.exists(db_path):
        raise HookledgerError(f"no ledger at {db_path} (run a Claude Code session with hookledger installed, or `hookledger demo`)")
    try:
        return connect(db_path, 5000)
    except LedgerUnavailable as exc:
        raise HookledgerError(str(exc)) from exc


def open_ledger(db_path: str, *, must_exist: bool = True):
    """A sqlite-utils Database on the ledger, migrated to the current schema."""
    import sqlite_utils

    return sqlite_utils.Database(connect_ledger(db_path, must_exist=must_exist), execute_plugins=False)


def echo_rows(rows: list[dict[str, Any]], as_json: bool, empty: str, cols: list | None = None) -> None:
    """Rows as a table that fits the terminal (`cols`: faces.table.Col, default one text column
    per key), or as a JSON array with --json (every column, full ids, times in UTC)."""
    from hookledger.faces.output import echo_json
    from hookledger.faces.table import Col, print_table

    if as_json:
        echo_json(rows)
        return
    print_table(rows, cols or [Col(k, k.replace("_", " ")) for k in (rows[0] if rows else {})], empty=empty)


def where_session(base: str, session_id: str | None) -> tuple[str, list[Any]]:
    """A WHERE clause (`base`, and the session when one is given) with its parameters."""
    if session_id:
        return f"({base}) AND session_id = ?", [session_id]
    return base, []


def resolve_upward(project: str | None, db_path: str | None) -> tuple[str, str]:
    """As resolve(), but with no option or environment to go by, the nearest directory at or
    above the current one that holds a ledger (a Bash tool call may have `cd`-ed below the root)."""
    if project or db_path or os.environ.get("CLAUDE_PROJECT_DIR") or os.environ.get("HOOKLEDGER_DB"):
        return resolve(project, db_path)
    here = os.getcwd()
    while True:
        if os.path.exists(os.path.join(here, paths.DB_NAME)):
            return here, os.path.join(here, paths.DB_NAME)
        parent = os.path.dirname(here)
        if parent == here:
            return resolve(None, None)
        here = parent


def pick_session(conn: Any, wanted: str | None) -> str:
    """The full session id for --session (an id or unique prefix; default the latest session)."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.inspect.queries import UnknownSession, resolve_session

    try:
        return resolve_session(conn, wanted)
    except UnknownSession as exc:
        raise HookledgerError(str(exc)) from exc


def pick_agent(conn: Any, wanted: str, session_id: str | None = None) -> str:
    """The full agent id for --agent (an id, a unique prefix, or a label as the tables print it)."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.inspect.queries import UnknownAgent, UnknownSession, resolve_agent

    try:
        return resolve_agent(conn, wanted, session_id)
    except (UnknownAgent, UnknownSession) as exc:
        raise HookledgerError(str(exc)) from exc
