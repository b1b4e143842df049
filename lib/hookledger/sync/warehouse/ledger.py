"""Reading one ledger for the warehouse: one consistent snapshot, rows as tuples, fast.

The whole sync reads inside one read transaction (WAL: hooks keep writing meanwhile), so the
rows, the sessions touched and the hook_events high-water mark all describe the same moment;
anything a hook commits later carries a hook_events id above that mark and goes to the next sync.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any


class LedgerSnapshot:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._columns: dict[str, list[str]] = {}

    @classmethod
    def open(cls, path: str) -> LedgerSnapshot:
        from hookledger.store.conn import connect  # open means migrate

        return cls(connect(path, 5000))

    def begin(self) -> None:
        """Start the snapshot (taken at the first read that follows)."""
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = [r[1] for r in self.conn.execute(f"PRAGMA table_info([{table}])")]
        return self._columns[table]

    def max_rowid(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT coalesce(max(rowid), 0) FROM [{table}]").fetchone()[0])

    # -- what to send

    def touched_sessions(self, after_id: int, upto_id: int) -> set[str]:
        """Sessions whose rows may have changed in place (SESSION tables) through the hook runs
        in (after_id, upto_id]: the runs' own sessions, and the sessions of the agents that
        acted (an agent's rows are found by its id, whichever session ran the hook)."""
        if "hook_events" not in self.tables or upto_id <= after_id:
            return set()
        found = {r[0] for r in self.conn.execute(
            "SELECT DISTINCT session_id FROM hook_events WHERE id > ? AND id <= ? AND session_id IS NOT NULL",
            (after_id, upto_id))}
        if "agent_registry" in self.tables:
            found |= {r[0] for r in self.conn.execute(
                "SELECT DISTINCT session_id FROM agent_registry WHERE session_id IS NOT NULL AND id IN"
                " (SELECT agent_id FROM hook_events WHERE id > ? AND id <= ? AND agent_id IS NOT NULL)",
                (after_id, upto_id))}
        return found

    def _select(self, table: str, columns: Sequence[str], where: str) -> str:
        cols = ", ".join(f"[{c}]" for c in columns)
        return f"SELECT rowid, {cols} FROM [{table}] WHERE {where} ORDER BY rowid"

    def count_after(self, table: str, after: int) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM [{table}] WHERE rowid > ?", (after,)).fetchone()[0])

    def count_again(self, table: str, upto: int, sessions: list[str] | None) -> int:
        where, params = self._again(upto, sessions)
        return int(self.conn.execute(f"SELECT count(*) FROM [{table}] WHERE {where}", params).fetchone()[0])

    @staticmethod
    def _again(upto: int, sessions: list[str] | None) -> tuple[str, tuple[Any, ...]]:
        if sessions is None:
            return "rowid <= ?", (upto,)
        return "rowid <= ? AND session_id IN (SELECT value FROM json_each(?))", (upto, json.dumps(sessions))

    def rows_after(self, table: str, columns: Sequence[str], after: int, size: int) -> Iterator[list[tuple]]:
        """Batches of (rowid, *columns) with rowid > after, in rowid order."""
        yield from self._batches(self._select(table, columns, "rowid > ?"), (after,), size)

    def rows_again(self, table: str, columns: Sequence[str], upto: int, sessions: list[str] | None,
                   size: int) -> Iterator[list[tuple]]:
        """Batches of rows already sent (rowid <= upto): of these sessions, or all (None)."""
        where, params = self._again(upto, sessions)
        yield from self._batches(self._select(table, columns, where), params, size)

    def _batches(self, sql: str, params: tuple[Any, ...], size: int) -> Iterator[list[tuple]]:
        cur = self.conn.execute(sql, params)
        while True:
            batch = cur.fetchmany(size)
            if not batch:
                return
            yield batch
