"""Schema creation and in-place upgrades (cold path: imports sqlite-utils).

"Open means migrate": any connection that finds `user_version` behind runs the pending
migrations. Concurrent first runs are safe: the whole upgrade happens inside one
BEGIN IMMEDIATE transaction and re-reads `user_version` once it holds the write lock, so
exactly one process migrates and the others find the work done.
"""

from __future__ import annotations

import importlib
import sqlite3
import time
from collections.abc import Callable

from hookledger.store.version import migration_numbers, MIGRATIONS_DIR

import os


def migrations() -> list[tuple[int, str, Callable]]:
    """(number, name, migrate function) for every migration module, in order."""
    found = []
    for name in sorted(os.listdir(MIGRATIONS_DIR)):
        if name.startswith("m") and name.endswith(".py") and name[1:4].isdigit():
            module = importlib.import_module(f"hookledger.store.migrations.{name[:-3]}")
            found.append((int(name[1:4]), name[:-3], module.migrate))
    return found


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
    """Apply pending migrations; returns the resulting user_version."""
    _enable_wal(conn, time.monotonic() + budget_s)
    target = max(migration_numbers(), default=0)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current < target:
            import sqlite_utils  # the migrations use its table API

            db = sqlite_utils.Database(conn, execute_plugins=False)
            for number, name, fn in migrations():
                if number > current:
                    fn(db)
            conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
        return max(current, target)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
