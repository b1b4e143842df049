"""What every sync adapter shares: the target connection, row fitting, writes, batches, cursors.

Cold path (sqlite-utils is fine here). The rules every adapter gets for free:

- the target's own schema wins: `fit()` keeps only the columns the target has (probed with
  PRAGMA table_info) and fills NOT NULL columns we know nothing about with a neutral value;
- tables are created only when missing, from the adapter's seed DDL; existing tables are never
  altered, and nothing is ever deleted;
- every write is keyed: `insert()` adds a row only when its natural key is absent and
  `upsert()` updates only rows hookledger wrote itself, so rerunning or resuming adds nothing;
- writes happen in short atomic batches (`BEGIN IMMEDIATE`), retried with backoff while the
  target is locked (Massu runs with no busy timeout) for up to `--wait` seconds, and the
  per-source cursor (or a state row's digest) advances only after the batch committed;
- a natural key is looked up through an index (sync/keys.py), so a sync is linear in its rows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from hookledger.hotpath.redact import mark_redacted, redact, scrub
from hookledger.store.conn import TRACE_ENV, LedgerConnection
from hookledger.store.conn import _trace_to as trace_to
from hookledger.store.ddl import execute_statements
from hookledger.store.safe_files import create_private, make_private_dir
from hookledger.sync.keys import ensure_index, is_unique_key
from hookledger.sync.report import SyncReport
from hookledger.sync.source import AGENTS, Ledger
from hookledger.hotpath.timeutil import parse_utc

BATCH_SIZE = 200  # rows per transaction: short write locks on targets without busy_timeout
WAIT_S = 30.0  # how long a locked target is waited for (`hookledger sync --wait`)
FIRST_DELAY_S, MAX_DELAY_S = 0.05, 2.0  # backoff between attempts: doubling, capped
FIRST_NOTE_S, NOTE_EVERY_S = 0.5, 2.0  # the wait is told on stderr after half a second, then every 2 s
PRESENT_MAX = 200_000  # natural keys remembered as present (a memo: past it, it starts over)


class TargetLocked(Exception):
    """The target stayed locked for the whole wait."""


# ---------------------------------------------------------------- conversions


@functools.lru_cache(maxsize=65536)
def seconds(ts: str | None) -> float | None:
    """Seconds since the epoch for one of our UTC text timestamps (None if missing/bad).

    Memoised: a row's time is converted for each of the target rows it becomes."""
    return parse_utc(ts)


def iso_z(ts: str | None) -> str | None:
    """'YYYY-MM-DDTHH:MM:SS.mmmZ' (JavaScript's toISOString) for our UTC text timestamp."""
    secs = seconds(ts)
    return None if secs is None else iso_z_at(secs)


def iso_z_at(secs: float) -> str:
    ms = int(round(secs * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


def unix_ms(ts: str | None) -> int | None:
    secs = seconds(ts)
    return None if secs is None else int(round(secs * 1000))


def unix_s(ts: str | None) -> int | None:
    secs = seconds(ts)
    return None if secs is None else int(secs)


def clean(text: Any, limit: int | None = None) -> str | None:
    """Redacted (and optionally capped) text; secrets never leave the ledger."""
    if text is None:
        return None
    out = redact(str(text))
    if limit is not None and len(out) > limit:
        out = out[: limit - 15] + "...(truncated)"
    return mark_redacted(out)  # the target connection's choke point need not scan it again


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def clean_json(value: Any, limit: int | None = None, *, end: str = "") -> str:
    """Redacted JSON text (followed by `end`); over `limit` characters it becomes a still-valid
    JSON preview. Built from redacted parts, it is marked so: the target connection's choke
    point does not scan it a second time."""
    text = to_json(scrub(value))
    if limit is None or len(text) <= limit:
        return mark_redacted(text + end)
    keep = limit - 100
    while True:  # escaping can grow the preview: shorten it until the whole fits
        out = to_json({"truncated": True, "chars": len(text), "preview": text[:max(keep, 0)]})
        if len(out) <= limit or keep <= 0:
            return mark_redacted(out + end)
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

    def __init__(self, conn: sqlite3.Connection, path: str = "", *, wait: float = WAIT_S,
                 notify: Callable[[str], Any] | None = None) -> None:
        conn.isolation_level = None  # we issue BEGIN IMMEDIATE / COMMIT ourselves
        conn.execute("PRAGMA foreign_keys = ON")
        self.conn = conn
        self.path = path
        self.wait = max(0.0, wait)  # seconds a locked target is waited for
        self.notify = notify  # told, now and then, that we are waiting (the CLI writes it to stderr)
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        self._columns: dict[str, dict[str, Any]] = {}
        self._fill: dict[str, list[tuple[str, Any]]] = {}
        self._unique: dict[tuple[str, tuple[str, ...]], bool] = {}
        # Per run, what committed transactions established: (table, key columns) whose lookup
        # is indexed, and natural keys known to be present (a parent row ensured for each of
        # its children is then looked up once, not once per child).
        self.indexed: set[tuple[str, tuple[str, ...]]] = set()
        self.present: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()

    @classmethod
    def open(cls, path: str, **options: Any) -> Target:
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
        traced = os.environ.get(TRACE_ENV)
        if traced:  # every statement, as the ledger's connections do (tests count and explain them)
            conn.set_trace_callback(trace_to(traced))
        if new:
            conn.execute("PRAGMA journal_mode = WAL")  # all four systems run their DB in WAL
        return cls(conn, path, **options)

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

    def unique(self, table: str, names: tuple[str, ...]) -> bool:
        """Whether a unique index (or the primary key) has exactly the columns `names` (cached)."""
        if (table, names) not in self._unique:
            self._unique[table, names] = is_unique_key(self.conn, table, names)
        return self._unique[table, names]

    def fill(self, table: str) -> list[tuple[str, Any]]:
        """(column, neutral value) for the NOT NULL columns without default of `table` (cached)."""
        if table not in self._fill:
            self._fill[table] = [(name, _fallback(col)) for name, col in self.columns(table).items()
                                 if col.notnull and col.default_value is None and not col.is_pk]
        return self._fill[table]

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
        self._fill.clear()
        report.created_tables.extend(created)

    # -- transactions

    def transaction(self, work: Callable[[Writer], None]) -> dict[str, dict[str, int]]:
        """Run `work` in one BEGIN IMMEDIATE transaction, retried from scratch while locked.

        A locked target is waited for up to `self.wait` seconds, with backoff and a note
        every few seconds; then TargetLocked names the lock's holder when the system records
        one. A failed attempt is rolled back whole. Returns the writer's counts, only for the
        attempt that committed.
        """
        started: float | None = None
        delay, next_note = FIRST_DELAY_S, FIRST_NOTE_S
        while True:
            writer = Writer(self)
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                work(writer)
                self.conn.execute("COMMIT")
                self.indexed |= writer.indexed
                if len(self.present) > PRESENT_MAX:
                    self.present.clear()  # bounded memory on a million-row sync; lookups find the rest
                self.present |= writer.present
                return writer.counts
            except sqlite3.OperationalError as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if not _is_locked(exc):
                    raise
                now = time.monotonic()
                started = now if started is None else started
                waited = now - started
                if waited >= self.wait:
                    raise TargetLocked(self._locked_message(waited)) from exc
                if self.notify is not None and waited >= next_note:
                    next_note = waited + NOTE_EVERY_S
                    self.notify(f"{self.path or 'the target'} is locked ({self._holder()}); waited"
                                f" {waited:.0f} s of {self.wait:g} s")
                time.sleep(min(delay, self.wait - waited))
                delay = min(delay * 2, MAX_DELAY_S)
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _holder(self) -> str:
        from hookledger.sync.lockinfo import holder_note

        return holder_note(self.path) if self.path else "an in-memory copy: no holder recorded"

    def _locked_message(self, waited: float) -> str:
        return f"still locked after waiting {waited:.1f} s (--wait {self.wait:g}); {self._holder()}"


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
        # what this transaction established; the target keeps it only once committed
        self.indexed: set[tuple[str, tuple[str, ...]]] = set()
        self.present: set[tuple[str, tuple[tuple[str, Any], ...]]] = set()

    def count(self, kind: str, table: str, n: int = 1) -> None:
        self.counts[kind][table] = self.counts[kind].get(table, 0) + n

    def fit(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """`row` reduced to the target's columns, NOT NULL gaps filled with neutral values."""
        cols = self.target.columns(table)
        out = {k: v for k, v in row.items() if k in cols}
        for name, neutral in self.target.fill(table):
            if out.get(name) is None:
                out[name] = neutral
        return out

    def find(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        """The first row of `table` matching `key` (columns the target lacks are ignored)."""
        cols = self.target.columns(table)
        wanted = key
        key = {k: v for k, v in key.items() if k in cols}
        if not key:
            raise ValueError(f"no key column of {sorted(wanted)} exists in {table}")
        self._ensure_index(table, tuple(key))
        where = " AND ".join(f"[{k}] IS ?" for k in key)
        cur = self.conn.execute(f"SELECT * FROM [{table}] WHERE {where} LIMIT 1", list(key.values()))
        found = cur.fetchone()
        if found is None:
            return None
        return dict(zip([d[0] for d in cur.description], found))

    def _ensure_index(self, table: str, names: tuple[str, ...]) -> None:
        """The lookup of `names` in `table` is a B-tree search from here on (sync.keys)."""
        if (table, names) in self.target.indexed or (table, names) in self.indexed:
            return
        ensure_index(self.conn, table, names)
        self.indexed.add((table, names))

    def _known(self, table: str, key: dict[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]] | None:
        """`key` as a member of the present sets (None when a value is not hashable)."""
        try:
            ident = (table, tuple(key.items()))
            hash(ident)
        except TypeError:
            return None
        return ident

    def known(self, table: str, key: dict[str, Any]) -> bool:
        """True when a row with this natural key was found or written earlier in this run (in a
        committed transaction or this one): an adapter ensuring a parent row before each child
        can then skip building it again."""
        ident = self._known(table, key)
        return ident is not None and (ident in self.present or ident in self.target.present)

    def _insert(self, table: str, row: dict[str, Any], unique: Sequence[str] = ()) -> bool:
        """INSERT `row`; with `unique` (the columns of a unique index), one that would repeat
        their values is not written (ON CONFLICT DO NOTHING). Returns whether it was written."""
        names = ", ".join(f"[{k}]" for k in row)
        marks = ", ".join("?" for _ in row)
        skip = f" ON CONFLICT ({', '.join(f'[{k}]' for k in unique)}) DO NOTHING" if unique else ""
        cur = self.conn.execute(f"INSERT INTO [{table}] ({names}) VALUES ({marks}){skip}", list(row.values()))
        if unique and cur.rowcount != 1:
            return False
        self.count("inserted", table)
        return True

    @staticmethod
    def _key(fitted: dict[str, Any], key: Sequence[str]) -> dict[str, Any]:
        """The natural key as it will be stored (after fit()'s neutral values), so a rerun finds it."""
        return {k: fitted[k] for k in key if k in fitted}

    def insert(self, table: str, row: dict[str, Any], key: Sequence[str]) -> bool:
        """Insert unless a row with the same natural key exists (append-only safe)."""
        fitted = self.fit(table, row)
        keyed = self._key(fitted, key)
        if self.known(table, keyed):
            return False  # found or written earlier in this run
        known = self._known(table, keyed)
        if keyed and None not in keyed.values() and self.target.unique(table, tuple(keyed)):
            # the key is a unique index (NULLs never conflict: those are looked up below):
            # one statement both looks it up and writes the row
            inserted = self._insert(table, fitted, tuple(keyed))
        elif self.find(table, keyed) is None:
            inserted = self._insert(table, fitted)
        else:
            inserted = False
        if known is not None:
            self.present.add(known)
        return inserted

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
            known = self._known(table, keyed)
            if known is not None:
                self.present.add(known)
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
        if full:
            self._stream_state(source_table, handler)
            return
        after = self.cursor(source_table)
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

    def _stream_state(self, source_table: str, handler: Handler) -> None:
        """Feed a state table's rows that changed since they were last synced to `handler`.

        Every row is read (state changes in place: there is no cursor), but a row whose digest,
        its content and its session's, is the one recorded when it was last written, and whose
        session has ended, is skipped: an incremental sync writes in proportion to what changed.
        Rows of a live session are always handled (what they become may depend on the time:
        a lease, a lock, a heartbeat). Digests are recorded only after the target committed.
        """
        seen = self.ledger.digests(self.name, self.target_db, source_table)
        for batch in chunks(self.ledger.rows(source_table, 0), BATCH_SIZE):
            todo, digests = [], {}
            for row in batch:
                key, digest, final = self._state_digest(source_table, row)
                if final and seen.get(key) == digest:
                    continue
                todo.append(row)
                if final:
                    digests[key] = digest
            if todo:
                self.report.merge(self.target.transaction(lambda w: [handler(self, w, row) for row in todo]))
            if digests and not self.dry_run:
                self.ledger.set_digests(self.name, self.target_db, source_table, digests)
            if self.progress:
                self.progress(len(batch))

    def _state_digest(self, source_table: str, row: dict[str, Any]) -> tuple[str, str, bool]:
        """(row key, digest of the row and its session, whether its session has ended)."""
        sid = row.get("session_id") or ""
        session = self.ledger.session(sid) if sid else {}
        key = str(row.get("id") if source_table == AGENTS else (row.get("_rowid") or sid))
        digest = hashlib.sha1(to_json([row, session]).encode("utf-8")).hexdigest()
        return key, digest, bool(sid) and session.get("status") not in (None, "active")

    def run_steps(self, steps: Sequence[Step]) -> None:
        for source_table, handler, full, *settled in steps:
            self.stream(source_table, handler, full=full, settled=settled[0] if settled else None)
