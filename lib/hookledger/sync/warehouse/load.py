"""Writing rows into a warehouse table: COPY for new rows, keyed upserts for rows sent again.

New rows (after the table's cursor) cannot be in the warehouse yet: the cursor moves in the
same transaction as the rows it covers, and one sync per ledger runs at a time. So they are
COPYed straight into the table, the fastest way into PostgreSQL. Should one be there after all
(a ledger restored from a backup, a sync that bypassed the lock), the COPY fails on the primary
key, is rolled back to its savepoint, and the batch goes through the upsert instead.

Rows sent again (changed state) are COPYed into a temporary staging table and merged with one
INSERT ... ON CONFLICT (ledger_id, key) DO UPDATE ... WHERE the row differs, so unchanged rows
write nothing and the counts say what really changed. A role that may not create temporary
tables gets the same statement row by row (executemany, pipelined).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hookledger.sync.warehouse.schema import SCHEMA


@dataclass
class Target:
    """One warehouse table as the sync writes it: the columns shared with the ledger, and its key."""

    name: str
    columns: list[str]                  # synced columns, without ledger_id
    key: list[str]                      # primary key columns, without ledger_id
    types: dict[str, str] = field(default_factory=dict)

    @property
    def all_columns(self) -> list[str]:
        return ["ledger_id", *self.columns]


def _ident(name: str) -> Any:
    from psycopg import sql

    return sql.Identifier(name)


def _dedupe(target: Target, rows: Sequence[tuple]) -> list[tuple]:
    """One row per key (the last): ON CONFLICT DO UPDATE may not touch a row twice in one statement.
    Keys are unique in the ledger; only redaction could make two of them equal."""
    positions = [target.all_columns.index(k) for k in ("ledger_id", *target.key)]
    seen: dict[tuple, tuple] = {}
    for row in rows:
        seen[tuple(row[i] for i in positions)] = row
    return list(seen.values())


class Loader:
    """Writes for one connection (staging tables are per connection)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._staged: set[str] = set()
        self.can_stage = True

    # -- statements

    def _table(self, target: Target) -> Any:
        from psycopg import sql

        return sql.SQL("{}.{}").format(_ident(SCHEMA), _ident(target.name))

    def _cols(self, target: Target, prefix: str = "") -> Any:
        from psycopg import sql

        if prefix:
            return sql.SQL(", ").join(sql.SQL(prefix + ".{}").format(_ident(c)) for c in target.all_columns)
        return sql.SQL(", ").join(map(_ident, target.all_columns))

    def _on_conflict(self, target: Target) -> Any:
        from psycopg import sql

        key = sql.SQL(", ").join(map(_ident, ["ledger_id", *target.key]))
        rest = [c for c in target.columns if c not in target.key]
        if not rest:
            return sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(key)
        sets = sql.SQL(", ").join(sql.SQL("{} = EXCLUDED.{}").format(_ident(c), _ident(c)) for c in rest)
        old = sql.SQL(", ").join(sql.SQL("t.{}").format(_ident(c)) for c in rest)
        new = sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(_ident(c)) for c in rest)
        return sql.SQL(" ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})").format(
            key, sets, sql.SQL("ROW(") + old + sql.SQL(")"), sql.SQL("ROW(") + new + sql.SQL(")"))

    # -- writes

    def copy(self, target: Target, rows: Sequence[tuple]) -> None:
        from psycopg import sql

        stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(self._table(target), self._cols(target))
        with self.conn.cursor() as cur, cur.copy(stmt) as copy:
            for row in rows:
                copy.write_row(row)

    def insert_new(self, target: Target, rows: Sequence[tuple]) -> tuple[int, int]:
        """(inserted, updated) for rows after the cursor: COPY, or the upsert if any is there already."""
        import psycopg

        try:
            with self.conn.transaction():  # a savepoint inside the batch's transaction
                self.copy(target, rows)
            return len(rows), 0
        except psycopg.errors.UniqueViolation:
            return self.upsert(target, rows)

    def upsert(self, target: Target, rows: Sequence[tuple]) -> tuple[int, int]:
        """(inserted, updated): rows that differ from the warehouse's are written, others not."""
        if not rows:
            return 0, 0
        rows = _dedupe(target, rows)
        if self.can_stage and self._stage(target):
            return self._upsert_staged(target, rows)
        return self._upsert_rows(target, rows)

    def _stage_name(self, target: Target) -> str:
        return f"hl_stage_{target.name}"

    def _stage(self, target: Target) -> bool:
        """The staging table exists for this connection (False: temporary tables are not allowed)."""
        import psycopg
        from psycopg import sql

        if target.name in self._staged:
            return True
        try:
            with self.conn.transaction():
                self.conn.execute(sql.SQL("CREATE TEMPORARY TABLE IF NOT EXISTS {} (LIKE {}) ON COMMIT DELETE ROWS")
                                  .format(_ident(self._stage_name(target)), self._table(target)))
        except psycopg.errors.InsufficientPrivilege:
            self.can_stage = False
            return False
        self._staged.add(target.name)
        return True

    def _upsert_staged(self, target: Target, rows: Sequence[tuple]) -> tuple[int, int]:
        from psycopg import sql

        stage = sql.SQL("pg_temp.{}").format(_ident(self._stage_name(target)))
        with self.conn.cursor() as cur:
            with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, self._cols(target))) as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(sql.SQL(
                "WITH up AS (INSERT INTO {} AS t ({}) SELECT {} FROM {} AS s{} RETURNING (xmax = 0) AS inserted)"
                " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up").format(
                self._table(target), self._cols(target), self._cols(target, "s"), stage, self._on_conflict(target)))
            inserted, updated = cur.fetchone()
            cur.execute(sql.SQL("DELETE FROM {}").format(stage))  # a dry run keeps one transaction open
        return int(inserted), int(updated)

    def _upsert_rows(self, target: Target, rows: Sequence[tuple]) -> tuple[int, int]:
        from psycopg import sql

        marks = sql.SQL(", ").join(sql.Placeholder() * len(target.all_columns))
        stmt = sql.SQL("INSERT INTO {} AS t ({}) VALUES ({}){} RETURNING (xmax = 0)").format(
            self._table(target), self._cols(target), marks, self._on_conflict(target))
        inserted = updated = 0
        with self.conn.cursor() as cur:
            cur.executemany(stmt, rows, returning=True)
            while True:
                found = cur.fetchone()
                if found is not None:
                    inserted += bool(found[0])
                    updated += not found[0]
                if not cur.nextset():
                    break
        return inserted, updated
