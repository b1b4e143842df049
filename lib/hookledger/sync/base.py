"""What every sync adapter shares: the target connection, row fitting, writes, batches, cursors.

Cold path (sqlite-utils is fine here). The rules every adapter gets for free:

- the target's own schema wins: `fit()` keeps only the columns the target has (probed with
  PRAGMA table_info) and fills NOT NULL columns we know nothing about with a neutral value;
- tables are created only when missing, from the adapter's seed DDL; existing tables are never
  altered, and nothing is ever deleted;
- every write is keyed: `insert()` adds a row only when its natural key is absent and
  `upsert()` updates only rows hookledger wrote itself, so rerunning or resuming adds nothing;
- writes happen in short atomic batches (`BEGIN IMMEDIATE`), retried with backoff while the
  target is locked (Massu runs with no busy timeout), and the per-source cursor advances only
  after the batch committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from hookledger.hotpath.redact import redact, scrub
from hookledger.store.conn import LedgerConnection
from hookledger.store.ddl import execute_statements
from hookledger.store.safe_files import create_private, make_private_dir
from hookledger.sync.report import SyncReport
from hookledger.sync.source import Ledger
from hookledger.hotpath.timeutil import parse_utc

BATCH_SIZE = 200  # rows per transaction: short write locks on targets without busy_timeout
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2)  # seconds; ~6 s before giving up


class TargetLocked(Exception):
    """The target stayed locked through every retry."""


# ---------------------------------------------------------------- conversions


def seconds(ts: str | None) -> float | None:
    """Seconds since the epoch for one of our UTC text timestamps (None if missing/bad)."""
    return parse_utc(ts)


def iso_z(ts: str | None) -> str | None:
    """'YYYY-MM-DDTHH:MM:SS.mmmZ' (JavaScript's toISOString) for our UTC text timestamp."""
    secs = parse_utc(ts)
    return None if secs is None else iso_z_at(secs)


def iso_z_at(secs: float) -> str:
    ms = int(round(secs * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def unix_ms(ts: str | None) -> int | None:
    secs = parse_utc(ts)
    return None if secs is None else int(round(secs * 1000))


def unix_s(ts: str | None) -> int | None:
    secs = parse_utc(ts)
    return None if secs is None else int(secs)


def clean(text: Any, limit: int | None = None) -> str | None:
    """Redacted (and optionally capped) text; secrets never leave the ledger."""
    if text is None:
        return None
    out = redact(str(text))
    if limit is not None and len(out) > limit:
        out = out[: limit - 15] + "...(truncated)"
    return out


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def clean_json(value: Any, limit: int | None = None) -> str:
    """Redacted JSON text; over `limit` characters it becomes a still-valid JSON preview."""
    text = to_json(scrub(value))
    if limit is None or len(text) <= limit:
        return text
    keep = limit - 100
    while True:  # escaping can grow the preview: shorten it until the whole fits
        out = to_json({"truncated": True, "chars": len(text), "preview": text[:max(keep, 0)]})
        if len(out) <= limit or keep <= 0:
            return out
        keep -= len(out) - limit


def stable_id(kind: str, *parts: Any) -> str:
    """A deterministic text id for a row hookledger mints: rerunning yields the same id.

    Parts include the Claude session id (globally unique), so two projects syncing into one
    target never collide.
    """
    digest = hashlib.sha1("\x1f".join([kind, *map(str, parts)]).encode("utf-8")).hexdigest()
    return f"hl-{kind}-{digest[:20]}"


# ---------------------------------------------------------------- target


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


class Target:
    """A target database: sqlite-utils for schema probing, raw sqlite3 for transactions."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.isolation_level = None  # we issue BEGIN IMMEDIATE / COMMIT ourselves
        conn.execute("PRAGMA foreign_keys = ON")
        self.conn = conn
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        self._columns: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, path: str) -> Target:
        """The target at `path`; a new one is created 0600 (its folder 0700) whatever the
        umask, since it receives session content. Every string written to it passes the
        redaction choke point (LedgerConnection), whatever the adapter did."""
        new = not os.path.lexists(path)
        if new:
            parent = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(parent):
                make_private_dir(parent)
            create_private(path)
        # timeout=0: locked targets are retried by transaction() with backoff, not inside SQLite
        conn = sqlite3.connect(path, timeout=0, isolation_level=None, factory=LedgerConnection)
        if new:
            conn.execute("PRAGMA journal_mode = WAL")  # all four systems run their DB in WAL
        return cls(conn)

    @classmethod
    def scratch_copy(cls, path: str) -> Target:
        """An in-memory copy of `path` (or an empty DB): dry runs write here, never to the file."""
        mem = sqlite3.connect(":memory:", isolation_level=None)
        if os.path.exists(path):
            src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                src.backup(mem)
            finally:
                src.close()
        return cls(mem)

    def close(self) -> None:
        self.conn.close()

    # -- schema

    def has_table(self, table: str) -> bool:
        return self.db[table].exists()

    def columns(self, table: str) -> dict[str, Any]:
        """name -> sqlite_utils Column for `table` (cached; {} when the table is missing)."""
        if table not in self._columns:
            t = self.db[table]
            self._columns[table] = {c.name: c for c in t.columns} if t.exists() else {}
        return self._columns[table]

    def ensure_tables(self, ddl: dict[str, str], report: SyncReport) -> None:
        """Create each missing table from its seed DDL (with its indexes and triggers).

        Looked up and created in one write transaction (retried while the target is locked),
        so two syncs starting at once cannot both create a table. A table that exists is left
        exactly as its own system made it: no CREATE INDEX on it, since its columns may differ
        from the seed's.
        """
        created: list[str] = []

        def create(_: Writer) -> None:
            created.clear()  # a retried attempt starts over
            for name, statements in ddl.items():
                if not self.has_table(name):
                    execute_statements(self.conn, statements)
                    created.append(name)

        self.transaction(create)
        self._columns.clear()
        report.created_tables.extend(created)

    # -- transactions

    def transaction(self, work: Callable[[Writer], None]) -> dict[str, dict[str, int]]:
        """Run `work` in one BEGIN IMMEDIATE transaction, retried from scratch while locked.

        Returns the writer's counts, only for the attempt that committed.
        """
        for attempt, delay in enumerate((*RETRY_DELAYS, None)):
            writer = Writer(self)
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                work(writer)
                self.conn.execute("COMMIT")
                return writer.counts
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if not _is_locked(exc):
                    raise
                if delay is None:
                    raise TargetLocked(f"target still locked after {attempt} retries") from exc
                time.sleep(delay)
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        raise AssertionError("unreachable")


def _fallback(column: Any) -> Any:
    """A neutral value for a NOT NULL column without default that the mapping does not know."""
    kind = (column.type or "").upper()
    if "INT" in kind:
        return 0
    if any(k in kind for k in ("REAL", "FLOA", "DOUB", "NUM")):
        return 0
    if column.name.lower().endswith("json"):
        return "{}"
    return ""


class Writer:
    """Keyed inserts and owner-only updates inside one transaction; counts what it wrote."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.conn = target.conn
        self.counts: dict[str, dict[str, int]] = {"inserted": {}, "updated": {}, "skipped": {}}

    def count(self, kind: str, table: str, n: int = 1) -> None:
        self.counts[kind][table] = self.counts[kind].get(table, 0) + n

    def fit(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """`row` reduced to the target's columns, NOT NULL gaps filled with neutral values."""
        cols = self.target.columns(table)
        out = {k: v for k, v in row.items() if k in cols}
        for name, col in cols.items():
            if out.get(name) is None and col.notnull and col.default_value is None and not col.is_pk:
                out[name] = _fallback(col)
        return out

    def find(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """The first row of `table` matching `key` (columns the target lacks are ignored)."""
        cols = self.target.columns(table)
        wanted = key
        key = {k: v for k, v in key.items() if k in cols}
        if not key:
            raise ValueError(f"no key column of {sorted(wanted)} exists in {table}")
        where = " AND ".join(f"[{k}] IS ?" for k in key)
        cur = self.conn.execute(f"SELECT * FROM [{table}] WHERE {where} LIMIT 1", list(key.values()))
        found = cur.fetchone()
        if found is None:
            return None
        return dict(zip([d[0] for d in cur.description], found))

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        names = ", ".join(f"[{k}]" for k in row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO [{table}] ({names}) VALUES ({marks})", list(row.values()))
        self.count("inserted", table)

    @staticmethod
    def _key(fitted: dict[str, Any], key: Sequence[str]) -> dict[str, Any]:
        """The natural key as it will be stored (after fit()'s neutral values), so a rerun finds it."""
        return {k: fitted[k] for k in key if k in fitted}

    def insert(self, table: str, row: dict[str, Any], key: Sequence[str]) -> bool:
        """Insert unless a row with the same natural key exists (append-only safe)."""
        fitted = self.fit(table, row)
        if self.find(table, self._key(fitted, key)) is not None:
            return False
        self._insert(table, fitted)
        return True

    def upsert(self, table: str, row: dict[str, Any], key: Sequence[str], mutable: Sequence[str]) -> str:
        """Insert, or update the `mutable` columns of a row hookledger wrote earlier.

        A row counts as ours when every other mapped column still holds what we would write;
        a row the target's own system made (or changed) is left alone. Returns
        'inserted' | 'updated' | 'unchanged' | 'foreign'.
        """
        fitted = self.fit(table, row)
        keyed = self._key(fitted, key)
        existing = self.find(table, keyed)
        if existing is None:
            self._insert(table, fitted)
            return "inserted"
        fixed = {k: v for k, v in fitted.items() if k not in mutable and k not in key and k in row}
        if any(existing.get(k) != v for k, v in fixed.items()):
            return "foreign"
        changes = {k: fitted[k] for k in mutable if k in fitted and existing.get(k) != fitted[k]}
        if not changes:
            return "unchanged"
        sets = ", ".join(f"[{k}] = ?" for k in changes)
        where = " AND ".join(f"[{k}] IS ?" for k in keyed)
        self.conn.execute(f"UPDATE [{table}] SET {sets} WHERE {where}", [*changes.values(), *keyed.values()])
        self.count("updated", table)
        return "updated"

    def skip(self, table: str) -> None:
        self.count("skipped", table)


def upsert_where_keyed(w: Writer, table: str, row: dict[str, Any], key: Sequence[str], mutable: Sequence[str]) -> None:
    """upsert() when the target holds every key column; else insert() keyed on the key and
    the mutable columns too. A drifted table that lost part of the key (prompt_number,
    started_at) can no longer tell its rows apart by it: updating "the" row would overwrite
    another one's values on each run, so each version is added once instead."""
    if all(k in w.target.columns(table) for k in key):
        w.upsert(table, row, key, mutable)
    else:
        w.insert(table, row, (*key, *mutable))


def chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- run


Handler = Callable[["Run", Writer, dict[str, Any]], None]
Settled = Callable[[dict[str, Any]], bool]
# (source table, handler, full, [settled]): see Run.stream
Step = tuple[str, Handler, bool] | tuple[str, Handler, bool, Settled]


@dataclass
class Run:
    """One sync of one ledger into one target: what the adapters' handlers get."""

    name: str
    ledger: Ledger
    target: Target
    report: SyncReport
    target_db: str
    config: dict[str, Any] = field(default_factory=dict)
    project_dir: str = ""
    dry_run: bool = False
    progress: Callable[[int], None] | None = None
    now: float = field(default_factory=time.time)
    cache: dict[str, Any] = field(default_factory=dict)  # per-run memo for adapters

    def pending(self, steps: Sequence[Step]) -> int:
        """How many source rows this run will look at (for the progress bar)."""
        return sum(self.ledger.count(step[0], 0 if step[2] else self.cursor(step[0])) for step in steps)

    def cursor(self, source_table: str) -> int:
        return self.ledger.cursor(self.name, self.target_db, source_table)

    def stream(self, source_table: str, handler: Handler, *, full: bool = False,
               settled: Settled | None = None) -> None:
        """Feed source rows after the cursor (all of them when `full`) to `handler` in batches.

        `full` is for state tables (sessions, agents, tasks) whose rows change in place: they
        are re-read each run and written with upsert(), which writes nothing when unchanged.
        `settled` is for log tables whose newest rows may still change (a claim until its
        tool call finishes, an error until it is fixed or abandoned): the cursor stops before
        the first unsettled row, so the next run reads it again. The cursor moves only after
        the target committed: a crash in between replays the batch, and the keyed writes
        turn the replay into no-ops.
        """
        after = 0 if full else self.cursor(source_table)
        held: int | None = None  # rowid of the first row that may still change
        for batch in chunks(self.ledger.rows(source_table, after), BATCH_SIZE):
            counts = self.target.transaction(lambda w: [handler(self, w, row) for row in batch])
            self.report.merge(counts)
            if settled is not None and held is None:
                held = next((r["_rowid"] for r in batch if not settled(r)), None)
            last = batch[-1]["_rowid"] if held is None else held - 1
            if not full and not self.dry_run and last > after:
                self.ledger.set_cursor(self.name, self.target_db, source_table, last)
                after = last
            if self.progress:
                self.progress(len(batch))

    def run_steps(self, steps: Sequence[Step]) -> None:
        for source_table, handler, full, *settled in steps:
            self.stream(source_table, handler, full=full, settled=settled[0] if settled else None)
