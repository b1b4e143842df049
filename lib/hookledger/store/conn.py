"""Raw sqlite3 connections for the hook path: WAL, busy_timeout first, BEGIN IMMEDIATE writes.

Hot path: stdlib only. sqlite-utils is imported only by `store.migrate` (schema creation and
upgrades) and by the CLI, never for an ordinary event.
"""

from __future__ import annotations

import os
import sqlite3

from hookledger.store.version import SCHEMA_VERSION

DEFAULT_BUSY_MS = 2000
MIGRATION_BUSY_MS = 10000


class LedgerUnavailable(Exception):
    """The ledger cannot be written now (locked past the budget, read-only, missing dir)."""


def busy_ms_from_env(default: int = DEFAULT_BUSY_MS) -> int:
    try:
        return max(0, int(os.environ.get("HOOKLEDGER_BUSY_TIMEOUT_MS", default)))
    except ValueError:
        return default


def _create_private(path: str) -> None:
    """Create the database file with mode 0600 before SQLite does (it would use the umask)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def connect(path: str, busy_ms: int = DEFAULT_BUSY_MS, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the ledger at `path`, upgraded to the current schema.

    `busy_timeout` is set before anything that can take a lock. Raises LedgerUnavailable
    when the file or its directory cannot be opened or the schema cannot be brought up to date.
    """
    try:
        if not os.path.exists(path):
            _create_private(path)
        conn = sqlite3.connect(path, timeout=busy_ms / 1000.0, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise LedgerUnavailable(f"cannot open {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrate and conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            from hookledger.store.migrate import migrate as run_migrations  # cold: first use or upgrade

            # One-time work that every hook started at once on a new project waits for.
            conn.execute(f"PRAGMA busy_timeout = {max(int(busy_ms), MIGRATION_BUSY_MS)}")
            run_migrations(conn)
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    except sqlite3.Error as exc:
        conn.close()
        raise LedgerUnavailable(f"cannot prepare {path}: {exc}") from exc
    return conn


class write_txn:  # noqa: N801  (used as a function: `with write_txn(conn):`)
    """One short BEGIN IMMEDIATE transaction: the write lock is taken up front, so a
    read-then-write never fails half way with SQLITE_BUSY (deferred BEGIN loses events).
    A class rather than @contextlib.contextmanager: contextlib costs ~0.5 ms per hook."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
