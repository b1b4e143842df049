"""Schema creation and in-place upgrades (cold path: imports sqlite-utils).

"Open means migrate": any connection that finds `user_version` below the number of
migrations runs the pending ones. Migrations are recorded by name in sqlite-utils'
`_sqlite_migrations` table, so one that lands later with a lower number than others already
applied still runs. Concurrent first runs are safe: the whole upgrade happens inside one
BEGIN IMMEDIATE transaction (sqlite-utils nests each migration in a savepoint) and the
pending list is read once the write lock is held, so exactly one process migrates and the
others find the work done.
"""

from __future__ import annotations

import importlib
import sqlite3
import time

from hookledger.store.version import SCHEMA_VERSION, migration_names

MIGRATION_SET = "hookledger"


def migrations():
    """A sqlite_utils.Migrations set holding every migration module, in order."""
    import sqlite_utils

    registry = sqlite_utils.Migrations(MIGRATION_SET)
    for name in migration_names():
        module = importlib.import_module(f"hookledger.store.migrations.{name}")
        registry(name=name)(module.migrate)
    return registry


def _enable_wal(conn: sqlite3.Connection, deadline: float) -> None:
    # journal_mode cannot change inside a transaction and may report busy while other
    # processes open the brand-new file: retry until it sticks or the budget ends.
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() == "wal" or time.monotonic() > deadline:
                return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                return
        time.sleep(0.02)


def migrate(conn: sqlite3.Connection, budget_s: float = 10.0) -> int:
    """Apply pending migrations; returns how many migrations are now applied (= user_version)."""
    _enable_wal(conn, time.monotonic() + budget_s)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current >= SCHEMA_VERSION:
            # Another process migrated while we waited for the lock: nothing to import.
            conn.execute("COMMIT")
            return current
        import sqlite_utils

        registry = migrations()
        db = sqlite_utils.Database(conn, execute_plugins=False)
        if registry.pending(db):
            registry.apply(db)
        applied = len({m.name for m in registry.applied(db)} & set(migration_names()))
        conn.execute(f"PRAGMA user_version = {applied}")
        conn.execute("COMMIT")
        return applied
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
