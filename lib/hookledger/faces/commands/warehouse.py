"""`hookledger warehouse init|migrate|status`: the team warehouse's schema in PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import click

from hookledger.faces.output import say

_URL_HELP = ("The warehouse: a libpq URL postgresql://USER@HOST:PORT/DB[?sslmode=...]; the password"
             " comes from PGPASSWORD, ~/.pgpass or a service file (or the URL).")


class _Session:
    """A connection to the warehouse for one subcommand; any failure becomes one clear line."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None

    def __enter__(self) -> Any:
        from hookledger.sync.warehouse import dsn
        from hookledger.sync.warehouse.run import stderr_notify

        try:
            self.conn = dsn.connect(self.url, application="hookledger warehouse", on_retry=lambda reason, delay:
                                    stderr_notify(f"PostgreSQL: {reason}; retrying in {delay:g} s"))
        except Exception as exc:  # noqa: BLE001  (turned into a message by __exit__'s rule)
            self._raise(exc)
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.conn is not None:
            self.conn.close()
        if exc is not None:
            self._raise(exc)

    def _raise(self, exc: BaseException) -> None:
        from hookledger.faces.cli import HookledgerError
        from hookledger.sync.warehouse import WarehouseError, dsn

        if isinstance(exc, WarehouseError):
            raise HookledgerError(str(exc)) from exc
        try:
            import psycopg
        except ImportError:
            raise exc from None
        if isinstance(exc, psycopg.Error):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise HookledgerError(f"PostgreSQL at {dsn.display(self.url)}: {dsn.scrub(first, self.url)}") from exc
        raise exc


@click.group("warehouse")
def command() -> None:
    """Create, migrate and inspect the team warehouse schema `hookledger` in PostgreSQL.

    `hookledger sync --to postgres --target-db URL` fills it. See docs/warehouse.md.
    """


@command.command("init")
@click.option("--target-db", "url", required=True, help=_URL_HELP)
@click.option("--grant-sync", "sync_roles", multiple=True, metavar="ROLE",
              help="Let ROLE sync: USAGE, SELECT, INSERT, UPDATE on the schema (no DDL, no DELETE). Repeatable.")
@click.option("--grant-read", "read_roles", multiple=True, metavar="ROLE",
              help="Let ROLE read the tables and views (dashboards). Repeatable.")
def init(url: str, sync_roles: tuple[str, ...], read_roles: tuple[str, ...]) -> None:
    """Create the schema (or bring it up to date) and grant roles; safe to run again."""
    from hookledger.sync.warehouse import dsn, schema

    with _Session(url) as conn:
        ran = schema.migrate(conn)
        for role in sync_roles:
            schema.grant(conn, role, write=True)
        for role in read_roles:
            schema.grant(conn, role, write=False)
    say(f"warehouse at {dsn.display(url)}: " + (f"applied {', '.join(ran)}" if ran else "already up to date"))
    for role in sync_roles:
        say(f"  {role} may sync (SELECT, INSERT, UPDATE)")
    for role in read_roles:
        say(f"  {role} may read")


@command.command("migrate")
@click.option("--target-db", "url", required=True, help=_URL_HELP)
def migrate(url: str) -> None:
    """Apply the warehouse migrations this hookledger has and the warehouse lacks."""
    from hookledger.sync.warehouse import dsn, schema

    with _Session(url) as conn:
        schema.require_schema(conn)
        ran = schema.migrate(conn)
    say(f"warehouse at {dsn.display(url)}: " + (f"applied {', '.join(ran)}" if ran else "already up to date"))


@command.command("status")
@click.option("--target-db", "url", required=True, help=_URL_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(url: str, as_json: bool) -> None:
    """Schema version, pending migrations, and every ledger synced into the warehouse."""
    from hookledger.faces.commands.common import echo_rows
    from hookledger.sync.warehouse import dsn, schema

    with _Session(url) as conn:
        found = schema.status(conn)
    if as_json:
        click.echo(json.dumps(found, indent=2, default=str))
        return
    if not found["schema"]:
        say(f"warehouse at {dsn.display(url)}: no hookledger schema (run `hookledger warehouse init`)")
        return
    say(f"warehouse at {dsn.display(url)}: {len(found['applied'])} migrations applied"
               + (f", pending: {', '.join(found['pending'])}" if found["pending"] else ", up to date"))
    from hookledger.faces.table import Col

    echo_rows(found["ledgers"], False, "no ledger synced yet", [
        Col("ledger_id", "ledger", "id"), Col("person", "person", "text"), Col("host", "host", "word", drop=1),
        Col("project", "project", "text", drop=3), Col("last_sync_at", "last sync", "time", drop=2),
        Col("rows_sent", "rows", "num"), Col("first_sync_at", "first sync", "time", drop=4)])
