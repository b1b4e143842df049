"""Raw sqlite3 connections for the hook path: WAL, busy_timeout first, BEGIN IMMEDIATE writes.

Hot path: stdlib only. sqlite-utils is imported only by `store.migrate` (schema creation and
upgrades) and by the CLI, never for an ordinary event.

Two guarantees live here because every writer of the ledger goes through `connect()`:
- the ledger, its -wal/-shm/-journal are never reached through a planted link, FIFO, device or
  hard link (store/safe_files.py): `connect` raises LedgerUnavailable naming the problem;
- every string bound to a statement passes the text filter first: `hookledger.hotpath`
  installs the redaction choke point (hotpath/redact.py) there when it is imported, so no
  handler, command or migration can store a secret it forgot to redact.
"""

from __future__ import annotations

import os
import sqlite3

from hookledger.store.safe_files import create_private, ledger_problem
from hookledger.store.version import SCHEMA_VERSION

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

DEFAULT_BUSY_MS = 2000
MIGRATION_BUSY_MS = 10000
# Set to a file path, every statement a connection runs is appended there, one JSON string a
# line (tests/test_query_plans.py checks the hooks' query plans with it). Off: one env lookup.
TRACE_ENV = "HOOKLEDGER_TRACE_SQL"


class LedgerUnavailable(Exception):
    """The ledger cannot be written now (locked past the budget, read-only, missing dir)."""


class UnsafeLedger(LedgerUnavailable):
    """The ledger path (or its -wal/-shm) is a link, FIFO, device or someone else's file."""


_text_filter: Callable[[str], str] | None = None


def set_text_filter(fn: Callable[[str], str]) -> None:
    """Every string bound by a LedgerConnection passes through `fn` (the redaction choke point)."""
    global _text_filter
    _text_filter = fn


def filtered(params: Any) -> Any:
    """`params` with each string passed through the text filter."""
    fn = _text_filter
    if fn is None or not params:
        return params
    if isinstance(params, dict):
        return {k: fn(v) if isinstance(v, str) else v for k, v in params.items()}
    return tuple(fn(v) if isinstance(v, str) else v for v in params)


class LedgerConnection(sqlite3.Connection):
    """A sqlite3 connection that binds only filtered (redacted) text."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().execute(sql, filtered(parameters))

    def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().executemany(sql, (filtered(p) for p in seq))

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or FilteredCursor)


class FilteredCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().execute(sql, filtered(parameters))

    def executemany(self, sql: str, seq: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        return super().executemany(sql, (filtered(p) for p in seq))


def busy_ms_from_env(default: int = DEFAULT_BUSY_MS) -> int:
    try:
        return max(0, int(os.environ.get("HOOKLEDGER_BUSY_TIMEOUT_MS", default)))
    except ValueError:
        return default


def check_path(path: str) -> None:
    """Raise UnsafeLedger if the ledger or a companion file SQLite opens beside it by name
    (-wal, -shm, -journal) is a link, FIFO, device, hard link or another user's file."""
    problem = ledger_problem(path)
    if problem:
        raise UnsafeLedger(f"refusing to open the ledger: {problem}")


def _trace_to(path: str):
    """A trace callback appending each statement to `path` (created 0600; statements carry
    ledger values, which are redacted already). Each line is flushed: hooks leave by os._exit."""
    import json

    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    out = os.fdopen(fd, "a", encoding="utf-8")

    def write(statement: str) -> None:
        out.write(json.dumps(statement) + "\n")
        out.flush()

    return write


def connect(path: str, busy_ms: int = DEFAULT_BUSY_MS, *, migrate: bool = True,
            max_busy_ms: int | None = None, on_migrate: Callable[[], object] | None = None) -> sqlite3.Connection:
    """Open (creating if needed, 0600) the ledger at `path`, upgraded to the current schema.

    `busy_timeout` is set before anything that can take a lock; `max_busy_ms` caps every wait
    (the migration's longer one too): a hook passes the time left before its deadline, since
    SQLite's busy wait cannot be interrupted. `on_migrate` is called before pending migrations run
    (a hook gives them a longer deadline: on a big ledger a migration that fills a new table reads
    it all once). Raises UnsafeLedger for a planted link (checked
    before SQLite opens anything, and again once it has), LedgerUnavailable when the file or its
    directory cannot be opened or the schema cannot be brought up to date.
    """
    check_path(path)
    cap = max_busy_ms if max_busy_ms is not None else None
    busy = min(busy_ms, cap) if cap is not None else busy_ms
    try:
        create_private(path)
        conn = sqlite3.connect(path, timeout=busy / 1000.0, isolation_level=None, check_same_thread=False,
                               factory=LedgerConnection)
    except (OSError, sqlite3.Error) as exc:
        raise LedgerUnavailable(f"cannot open {path}: {exc}") from exc
    trace = os.environ.get(TRACE_ENV)
    if trace:
        conn.set_trace_callback(_trace_to(trace))
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy)}")
        check_path(path)  # swapped for a link between the check and SQLite's open?
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if migrate and version < SCHEMA_VERSION:
            foreign = foreign_database(conn, version)
            if foreign:
                raise UnsafeLedger(f"refusing to migrate {path}: {foreign}")
            from hookledger.store.migrate import migrate as run_migrations  # cold: first use or upgrade

            # One-time work that every hook started at once on a new project waits for.
            if on_migrate is not None:
                on_migrate()
            wait = max(int(busy), MIGRATION_BUSY_MS)
            wait = min(wait, cap) if cap is not None else wait
            conn.execute(f"PRAGMA busy_timeout = {wait}")
            run_migrations(conn, budget_s=wait / 1000.0)
            conn.execute(f"PRAGMA busy_timeout = {int(busy)}")
    except UnsafeLedger:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise LedgerUnavailable(f"cannot prepare {path}: {exc}") from exc
    return conn


# Tables of a ledger (or of the original hooks' session database, which m001 adopts).
_OURS = frozenset({"_sqlite_migrations", "hook_events", "sessions", "project_state", "agent_registry", "file_claims"})


def foreign_database(conn: sqlite3.Connection, version: int) -> str | None:
    """Why the database is another application's (None: empty, or a ledger): migrating it
    would change a file that is not ours (run only when a migration is pending)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version > 0 and "_sqlite_migrations" not in tables:
        return f"it is another application's database (user_version {version}, no hookledger migrations)"
    if tables and not tables & _OURS:
        return f"it is another application's database (tables: {', '.join(sorted(tables)[:5])})"
    return None


def set_busy(conn: sqlite3.Connection, busy_ms: int) -> None:
    """Change how long the next statements wait for a lock."""
    conn.execute(f"PRAGMA busy_timeout = {max(0, int(busy_ms))}")


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
