"""One sync of one ledger into the warehouse.

1. Identify the ledger (identity), connect (dsn, with retries), make sure the schema is current
   (schema), and take this ledger's advisory lock: one sync per ledger at a time, any number of
   ledgers at once.
2. Read this ledger's cursors from the warehouse (hookledger.sync_state): they move in the same
   transaction as the rows they cover, so resuming after a kill is exact, even when the ledger
   itself was replaced by an older copy.
3. For each table (tables.TABLES): new rows after its cursor, COPYed in batches, each batch one
   transaction that also moves the cursor; then the rows that may have changed since the last
   sync (tables.SESSION: rows of the sessions with hook runs since, or still open; tables.ANY:
   all), merged by key.
4. Per table, record up to which hook_events id its changed rows were sent (the next sync
   looks for touched sessions after it), and at last the time of this sync.

A dry run does all of it inside one transaction and rolls it back: exact counts, nothing kept.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hookledger.sync import WAREHOUSE
from hookledger.sync.report import SyncReport
from hookledger.sync.warehouse import dsn, identity, schema
from hookledger.sync.warehouse.convert import Converter
from hookledger.sync.warehouse.errors import Busy, WarehouseError
from hookledger.sync.warehouse.ledger import LedgerSnapshot
from hookledger.sync.warehouse.load import Loader, Target
from hookledger.sync.warehouse.pipeline import converted
from hookledger.sync.warehouse.tables import ANY, APPEND, INTERNAL, SESSION, TABLES, Table

BATCH_ROWS = 10_000  # rows per transaction
LEDGER_LOCK_WAIT_S = 120.0  # how long a second sync of the same ledger waits for the first


@dataclass
class WarehouseReport(SyncReport):
    migrations: list[str] = field(default_factory=list)
    not_synced: list[str] = field(default_factory=list)  # ledger tables/columns the warehouse has no place for
    ledger_id: str = ""


@dataclass
class Plan:
    """One ledger table to sync: its warehouse target, cursor and what to send again."""

    table: Table
    target: Target
    cursor: int
    again: list[str] | None  # sessions whose rows to send again; None: all rows (ANY)
    reset: bool = False  # the warehouse cursor is past the ledger's last row: start over from 0
    new_rows: int = 0
    rows_again: int = 0

    @property
    def types(self) -> list[str]:
        return [self.target.types[c] for c in self.target.columns]


def warehouse_tables(conn: Any) -> dict[str, Target]:
    """name -> Target (all columns and types, primary key) for every table of the schema."""
    found: dict[str, Target] = {}
    for table, column, pg_type, in_key in conn.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),"
            " coalesce(a.attnum = ANY(i.indkey), false)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
            " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname, a.attnum", (schema.SCHEMA,)):
        t = found.setdefault(table, Target(name=table, columns=[], key=[]))
        if column == "ledger_id":
            continue
        t.columns.append(column)
        t.types[column] = pg_type
        if in_key:
            t.key.append(column)
    return found


class Sync:
    def __init__(self, ledger_path: str, url: str, *, project_dir: str, dry_run: bool, config: dict[str, Any],
                 progress: Callable[[str, int], Any] | None, notify: Callable[[str], None] | None) -> None:
        self.ledger_path, self.url, self.project_dir = ledger_path, url, project_dir
        self.dry_run, self.config, self.progress_for, self.notify = dry_run, config, progress, notify
        self.report = WarehouseReport(target=WAREHOUSE, target_db=dsn.display(url), dry_run=dry_run)
        self.ledger: LedgerSnapshot | None = None
        self.conn: Any = None
        self.loader: Loader | None = None
        self.ledger_id = ""
        self.shown: Any = None
        self.high = 0  # the ledger's last hook_events id in this sync's snapshot
        self._open: set[str] = set()
        self._touched_memo: dict[int, list[str]] = {}
        self.converter = Converter()  # one per sync: its memo of redacted values lasts the whole run

    # -- connection, lock, retries

    def _retrying(self, reason: str, delay: float) -> None:
        if self.notify is not None:
            self.notify(f"PostgreSQL: {reason}; retrying in {delay:g} s")

    def _connect(self) -> None:
        self.conn = dsn.connect(self.url, on_retry=self._retrying, application="hookledger sync")
        self.loader = Loader(self.conn)

    def _lock_ledger(self) -> None:
        """This ledger's session-level advisory lock (released when the connection closes)."""
        deadline = time.monotonic() + LEDGER_LOCK_WAIT_S
        told = False
        while not self.conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                                    (f"hookledger:{self.ledger_id}",)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise Busy(f"another sync of this ledger has held it for over {LEDGER_LOCK_WAIT_S:g} s")
            if not told and self.notify is not None:
                self.notify("PostgreSQL: another sync of this ledger is running; waiting for it")
                told = True
            time.sleep(0.25)

    def _batch(self, work: Callable[[Loader], Any]) -> Any:
        """Run `work` in one transaction; lock waits, deadlocks and lost connections are retried
        with backoff (reconnecting as needed), then Busy. A dry run's single transaction cannot
        be retried."""
        import psycopg

        delays = dsn.retry_delays()
        for attempt, delay in enumerate((*delays, None), start=1):
            try:
                with self.conn.transaction():
                    return work(self.loader)
            except psycopg.OperationalError as exc:
                reason = dsn.scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                                   self.url)
                if self.dry_run or delay is None:
                    raise Busy(f"PostgreSQL at {self.report.target_db} kept failing a batch ({attempt} attempts):"
                               f" {reason}") from None
                self._retrying(reason, delay)
                time.sleep(delay)
                if self.conn.closed or self.conn.broken:
                    self._connect()
                    self._lock_ledger()
        raise AssertionError("unreachable")

    # -- the sync

    def run(self) -> WarehouseReport:
        """The sync; a server error that is not retried, or a ledger that cannot be read, becomes a
        WarehouseError (one line, scrubbed)."""
        import sqlite3

        from hookledger.store.conn import LedgerUnavailable

        psycopg = dsn.client()
        try:
            return self._run()
        except psycopg.Error as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise WarehouseError(f"PostgreSQL at {self.report.target_db}: {dsn.scrub(first, self.url)}") from None
        except (LedgerUnavailable, sqlite3.Error) as exc:
            raise WarehouseError(f"cannot read the ledger {self.ledger_path}: {exc}") from None

    def _run(self) -> WarehouseReport:
        ledger = self.ledger = LedgerSnapshot.open(self.ledger_path)
        try:
            self.ledger_id = identity.ledger_id(ledger.conn, create=not self.dry_run) or _throwaway_id()
            self.report.ledger_id = self.ledger_id
            about = identity.describe(self.project_dir, self.ledger_path, self.config, ledger.schema_version())
            self._connect()
            try:
                if self.dry_run:
                    with self.conn.transaction(force_rollback=True):
                        self._sync(about)
                else:
                    self._sync(about)
            finally:
                self.conn.close()
        finally:
            if self.shown is not None:
                self.shown.close()
            ledger.close()
        return self.report

    def _sync(self, about: dict[str, Any]) -> None:
        self.report.migrations, behind = schema.ensure(self.conn)
        if behind:
            self.report.not_synced.append(f"what needs {', '.join(behind)} (this role may not migrate the"
                                          " warehouse: the owner runs `hookledger warehouse migrate`)")
        self._lock_ledger()
        targets = warehouse_tables(self.conn)
        self._register(about)
        state = self._state()
        self.ledger.begin()
        self.high = self.ledger.max_rowid("hook_events") if "hook_events" in self.ledger.tables else 0
        self._open = self._open_sessions()
        plans = self._plans(targets, state)
        if self.progress_for is not None:
            from hookledger.knowledge.progress import begin

            self.shown = begin(self.progress_for, "Syncing postgres", sum(p.new_rows + p.rows_again for p in plans))
        for plan in plans:
            self._send_new(plan)
            self._send_again(plan)
            self._batch(lambda _, name=plan.table.name: self._state_row(
                name, "touched_through = EXCLUDED.touched_through",
                "hookledger.sync_state.touched_through <> EXCLUDED.touched_through", touched_through=self.high))
        self._batch(lambda _: self.conn.execute(
            "UPDATE hookledger.ledgers SET last_sync_at = now(), last_sync_rows = %s WHERE ledger_id = %s",
            (self.report.written, self.ledger_id)))

    def _register(self, about: dict[str, Any]) -> None:
        cols = ["ledger_id", *about]
        values = [self.ledger_id, *about.values()]
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in about)
        self._batch(lambda _: self.conn.execute(
            f"INSERT INTO hookledger.ledgers ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
            f" ON CONFLICT (ledger_id) DO UPDATE SET {sets}", values))

    def _open_sessions(self) -> set[str]:
        """Sessions this ledger's warehouse copy holds as active: another session may close them out."""
        return {r[0] for r in self.conn.execute(
            "SELECT session_id FROM hookledger.sessions WHERE ledger_id = %s AND status = 'active'", (self.ledger_id,))}

    def _state(self) -> dict[str, tuple[int, int]]:
        """source table -> (last_rowid, touched_through) as the warehouse has them for this ledger."""
        return {r[0]: (int(r[1]), int(r[2])) for r in self.conn.execute(
            "SELECT source_table, last_rowid, touched_through FROM hookledger.sync_state WHERE ledger_id = %s",
            (self.ledger_id,))}

    def _state_row(self, table: str, sets: str, where: str = "TRUE", *, last_rowid: int = 0, rows_sent: int = 0,
                   touched_through: int = 0) -> None:
        """Insert this ledger's sync_state row for `table`, or update it (`sets` where `where`)."""
        self.conn.execute(
            "INSERT INTO hookledger.sync_state (ledger_id, source_table, last_rowid, rows_sent, touched_through)"
            f" VALUES (%s, %s, %s, %s, %s) ON CONFLICT (ledger_id, source_table) DO UPDATE SET {sets},"
            f" updated_at = now() WHERE {where}", (self.ledger_id, table, last_rowid, rows_sent, touched_through))

    def _touched(self, since: int) -> list[str]:
        """Sessions whose SESSION-table rows may have changed since hook_events id `since`."""
        if since not in self._touched_memo:
            if self.high < since:
                since = 0  # an older copy of the ledger: every session may differ
            self._touched_memo[since] = sorted(self.ledger.touched_sessions(since, self.high) | self._open)
        return self._touched_memo[since]

    def _plans(self, targets: dict[str, Target], state: dict[str, tuple[int, int]]) -> list[Plan]:
        ledger = self.ledger
        plans = []
        listed = {t.name for t in TABLES}
        for name in sorted(ledger.tables - listed - INTERNAL):
            self.report.not_synced.append(f"table {name} (no warehouse table for it yet)")
        for table in TABLES:
            target = targets.get(table.name)
            if table.name not in ledger.tables:
                continue
            if target is None:
                self.report.not_synced.append(f"table {table.name} (the warehouse has no such table:"
                                              " run `hookledger warehouse migrate`)")
                continue
            shared = self._shared(table.name, target)
            if shared is None:
                continue
            cursor, since = state.get(table.name, (0, 0))
            reset = ledger.max_rowid(table.name) < cursor
            if reset:
                cursor = 0  # rows deleted from the top, renumbered, or an older copy: send them all again
            again: list[str] | None = [] if table.changes == APPEND or cursor == 0 else (
                self._touched(since) if table.changes == SESSION else None)
            plan = Plan(table=table, target=shared, cursor=cursor, again=again, reset=reset)
            plan.new_rows = ledger.count_after(table.name, cursor)
            plan.rows_again = 0 if again == [] else ledger.count_again(table.name, cursor, again)
            plans.append(plan)
        return plans

    def _shared(self, name: str, target: Target) -> Target | None:
        """The warehouse table cut to the columns this ledger has (None: it lacks a key column)."""
        have = self.ledger.columns(name)
        columns = [c for c in have if c in target.types]
        missing_key = [k for k in target.key if k not in columns]
        if missing_key:
            self.report.not_synced.append(f"table {name} (the ledger lacks key column(s) {', '.join(missing_key)})")
            return None
        self.report.not_synced += [f"column {name}.{c} (no warehouse column for it yet)"
                                   for c in have if c not in target.types]
        return Target(name=name, columns=columns, key=target.key, types={c: target.types[c] for c in columns})

    def _count(self, table: str, inserted: int, updated: int) -> None:
        if inserted:
            self.report.inserted[table] = self.report.inserted.get(table, 0) + inserted
        if updated:
            self.report.updated[table] = self.report.updated.get(table, 0) + updated

    def _tick(self, n: int) -> None:
        if self.shown is not None:
            self.shown(n)

    def _send_new(self, plan: Plan) -> None:
        name = plan.table.name
        if plan.reset:
            self._batch(lambda _: self._state_row(name, "last_rowid = 0"))
        if not plan.new_rows:
            return
        batches = self.ledger.rows_after(name, plan.target.columns, plan.cursor, BATCH_ROWS)
        for last, rows in converted(self.converter, self.ledger_id, plan.types, batches):

            def work(loader: Loader, rows: list[tuple] = rows, last: int = last) -> tuple[int, int]:
                counts = loader.insert_new(plan.target, rows)
                self._state_row(name, "last_rowid = greatest(hookledger.sync_state.last_rowid, EXCLUDED.last_rowid),"
                                " rows_sent = hookledger.sync_state.rows_sent + EXCLUDED.rows_sent",
                                last_rowid=last, rows_sent=len(rows))
                return counts

            self._count(name, *self._batch(work))
            self._tick(len(rows))

    def _send_again(self, plan: Plan) -> None:
        if not plan.rows_again:
            return
        batches = self.ledger.rows_again(plan.table.name, plan.target.columns, plan.cursor, plan.again, BATCH_ROWS)
        for _, rows in converted(self.converter, self.ledger_id, plan.types, batches):
            self._count(plan.table.name, *self._batch(lambda loader, rows=rows: loader.upsert(plan.target, rows)))
            self._tick(len(rows))


def _throwaway_id() -> str:
    """A dry run of a ledger that has no id yet: an id that is never stored."""
    import uuid

    return str(uuid.uuid4())


def sync(ledger_path: str, url: str, *, project_dir: str = "", dry_run: bool = False,
         config: dict[str, Any] | None = None, progress: Callable[[str, int], Any] | None = None,
         notify: Callable[[str], None] | None = None) -> WarehouseReport:
    """Sync the ledger at `ledger_path` into the warehouse at `url` (a libpq URL); see the module doc.

    `progress` is a starter (knowledge.progress): told the rows to send, it may return a
    Progress, told the rows as they go (the CLI passes faces.progress.starter(...));
    `notify(line)` hears about retries and waits. Raises WarehouseError subclasses for what a
    person must fix or wait out.
    """
    if not os.path.exists(ledger_path):
        raise WarehouseError(f"no ledger at {ledger_path}")
    return Sync(ledger_path, url, project_dir=project_dir or os.path.dirname(os.path.abspath(ledger_path)),
                dry_run=dry_run, config=config or {}, progress=progress, notify=notify).run()


def stderr_notify(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
