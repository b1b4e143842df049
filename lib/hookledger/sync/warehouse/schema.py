"""The warehouse schema `hookledger`: numbered migrations kept in the warehouse, grants, status.

Migrations are the files migrations/wNNN_name.sql, applied in number order, each recorded in
hookledger.schema_migrations in the same transaction as its DDL (PostgreSQL DDL is
transactional: a failed migration leaves nothing behind). A transaction-scoped advisory lock
makes concurrent migrators (two syncs on a fresh database) take turns. Never edit a shipped
migration; add the next number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookledger.sync.warehouse.errors import NotInitialised, WarehouseError

SCHEMA = "hookledger"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATE_LOCK = 0x686C_5748_0001  # pg_advisory_xact_lock key: 'hlWH' + 1
_NAME = re.compile(r"^w(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    path: Path

    @property
    def label(self) -> str:
        return f"w{self.number:03d}_{self.name}"

    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def migrations() -> list[Migration]:
    found = []
    for path in MIGRATIONS_DIR.iterdir():
        m = _NAME.match(path.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), path))
    return sorted(found, key=lambda m: m.number)


def applied(conn: Any) -> dict[int, str] | None:
    """number -> name of the migrations this warehouse has; None when there is no schema yet."""
    if conn.execute("SELECT to_regclass('hookledger.schema_migrations')").fetchone()[0] is None:
        return None
    return dict(conn.execute("SELECT number, name FROM hookledger.schema_migrations").fetchall())


def pending(conn: Any) -> list[Migration]:
    done = applied(conn) or {}
    return [m for m in migrations() if m.number not in done]


def migrate(conn: Any) -> list[str]:
    """Create the schema if needed and apply every pending migration; returns their labels.

    Raises NotInitialised when this role may not run DDL here (a sync role).
    """
    import psycopg

    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
            conn.execute("CREATE SCHEMA IF NOT EXISTS hookledger")
            conn.execute("CREATE TABLE IF NOT EXISTS hookledger.schema_migrations ("
                         " number integer PRIMARY KEY, name text NOT NULL,"
                         " applied_at timestamptz NOT NULL DEFAULT now())")
            done = applied(conn) or {}
            ran = []
            for m in migrations():
                if m.number in done:
                    continue
                conn.execute(m.sql())
                conn.execute("INSERT INTO hookledger.schema_migrations (number, name) VALUES (%s, %s)",
                             (m.number, m.name))
                ran.append(m.label)
            return ran
    except psycopg.errors.InsufficientPrivilege as exc:
        raise NotInitialised(
            f"the warehouse schema needs creating or migrating and this role may not ({exc.diag.message_primary}):"
            " run `hookledger warehouse migrate --target-db URL` as the database owner") from None


def ensure(conn: Any) -> tuple[list[str], list[str]]:
    """Make sure the schema is there and current: (migrations applied, migrations still missing).

    A schema that is behind is migrated when this role may; a sync role (no DDL) syncs into the
    tables the warehouse has, and the missing migrations are reported for the owner to apply.
    No schema at all and no right to create it is NotInitialised.
    """
    todo = pending(conn)
    if not todo:
        return [], []
    try:
        return migrate(conn), []
    except NotInitialised:
        if applied(conn) is None:
            raise NotInitialised("no hookledger schema in this database and this role may not create it:"
                                 " run `hookledger warehouse init --target-db URL` as the database owner") from None
        return [], [m.label for m in todo]


def grant(conn: Any, role: str, *, write: bool) -> None:
    """Let `role` sync (SELECT, INSERT, UPDATE) or read (SELECT) the schema, now and after later
    migrations (default privileges of the role that runs them). Never DELETE, never DDL."""
    from psycopg import sql

    rights = sql.SQL("SELECT, INSERT, UPDATE" if write else "SELECT")
    who = sql.Identifier(role)
    with conn.transaction():
        for stmt in (
            sql.SQL("GRANT USAGE ON SCHEMA hookledger TO {}").format(who),
            sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA hookledger TO {}").format(rights, who),
            sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA hookledger TO {}").format(who),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA hookledger GRANT {} ON TABLES TO {}").format(rights, who),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA hookledger GRANT EXECUTE ON FUNCTIONS TO {}").format(who),
        ):
            conn.execute(stmt)


def status(conn: Any) -> dict[str, Any]:
    """Schema version, pending migrations, and one line per ledger synced here."""
    done = applied(conn)
    out: dict[str, Any] = {"schema": done is not None,
                           "applied": [f"w{n:03d}_{name}" for n, name in sorted((done or {}).items())],
                           "pending": [m.label for m in migrations() if m.number not in (done or {})],
                           "ledgers": []}
    if done is not None and conn.execute("SELECT to_regclass('hookledger.ledgers')").fetchone()[0] is not None:
        cur = conn.execute(
            "SELECT l.ledger_id::text AS ledger_id, l.host, l.person, l.project, l.first_sync_at, l.last_sync_at,"
            " (SELECT coalesce(sum(s.rows_sent), 0)::bigint FROM hookledger.sync_state s WHERE s.ledger_id = l.ledger_id)"
            " AS rows_sent FROM hookledger.ledgers l ORDER BY l.last_sync_at DESC NULLS LAST")
        names = [d.name for d in cur.description]
        out["ledgers"] = [dict(zip(names, row)) for row in cur.fetchall()]
    return out


def require_schema(conn: Any) -> None:
    if applied(conn) is None:
        raise WarehouseError("no hookledger schema in this database: run `hookledger warehouse init --target-db URL`")
