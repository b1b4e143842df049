"""Duplicate detection as an indexed lookup: every natural key a sync looks up has an index.

Writer.insert/upsert look a row's natural key up in the target before writing it. Without an
index on the key's columns each lookup scans the table, and a first sync grows with the square
of its rows (issue 12: 48 of 60 s of a 100k-event flightdeck sync). So the first lookup of a
(table, key columns) in a run checks the target's own indexes: a primary key or unique index
whose columns all belong to the key, or an index whose leading columns are exactly the key,
already makes the lookup a B-tree search. Otherwise hookledger adds one index,
`hookledger_key_<table>_<digest>` on the key's columns: a plain (not unique) index, so it
constrains nothing, changes no row and no query result of the target's own system, and SQLite
keeps it up to date for every writer. A table that cannot take an index (a virtual table) is
looked up as before.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence

INDEX_PREFIX = "hookledger_key_"
# Key columns holding free text (JSON, summaries, titles): left out of the index, which would
# otherwise copy them; the rest of the key (ids, types, times) already narrows a lookup to a
# row or a few, which SQLite then compares in full.
_FREE_TEXT = ("summary", "description", "detail", "metadata", "request", "completed", "failed", "content",
              "title", "evidence", "rationale", "message", "text", "body", "payload", "json", "reason")


def index_columns(names: Sequence[str]) -> list[str]:
    """The key columns worth indexing: all but free text (all of them if only free text)."""
    short = [n for n in names if not any(word in n.lower() for word in _FREE_TEXT)]
    return short or list(names)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def index_name(table: str, names: Sequence[str]) -> str:
    digest = hashlib.sha1("\x1f".join([table, *names]).encode("utf-8")).hexdigest()[:10]
    safe = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in table)[:40]
    return f"{INDEX_PREFIX}{safe}_{digest}"


def covered(conn: sqlite3.Connection, table: str, names: Sequence[str]) -> bool:
    """True when an existing index (or the rowid) makes `names IS ?` a B-tree search for one row
    or a few: a unique key within the names, or an index whose leading columns are the names."""
    wanted = set(names)
    info = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    pks = [r for r in info if r[5]]
    if len(pks) == 1 and pks[0][1] in wanted and str(pks[0][2]).upper() == "INTEGER":
        return True  # INTEGER PRIMARY KEY: the rowid itself
    for _seq, index, unique, _origin, partial in conn.execute(f"PRAGMA index_list({_quote(table)})"):
        if partial:
            continue  # holds only some rows
        cols = [r[2] for r in conn.execute(f"PRAGMA index_info({_quote(index)})")]
        if None in cols:
            continue  # an expression index
        if unique and set(cols) <= wanted:
            return True
        if set(cols[: len(wanted)]) == wanted:
            return True
    return False


def is_unique_key(conn: sqlite3.Connection, table: str, names: Sequence[str]) -> bool:
    """True when a unique index or primary key of `table` has exactly the columns `names` (an
    upsert's ON CONFLICT target; not a partial index, not the rowid)."""
    wanted = set(names)
    for _seq, index, unique, _origin, partial in conn.execute(f"PRAGMA index_list({_quote(table)})"):
        if unique and not partial:
            cols = [r[2] for r in conn.execute(f"PRAGMA index_info({_quote(index)})")]
            if None not in cols and len(cols) == len(wanted) and set(cols) == wanted:
                return True
    return False


def ensure_index(conn: sqlite3.Connection, table: str, names: Sequence[str]) -> str | None:
    """Add hookledger's key index on `table(names)` unless an index already covers them.

    Runs inside the caller's write transaction. Returns the name of the index it created."""
    names = index_columns(names)
    if covered(conn, table, names):
        return None
    name = index_name(table, names)
    cols = ", ".join(_quote(n) for n in names)
    try:
        conn.execute(f"CREATE INDEX IF NOT EXISTS {_quote(name)} ON {_quote(table)} ({cols})")
    except sqlite3.OperationalError as exc:
        if "virtual table" not in str(exc) and "may not be indexed" not in str(exc):
            raise  # locked: the transaction is retried
        return None
    return name
