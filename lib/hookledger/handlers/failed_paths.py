"""Approaches that did not work, kept so they are not tried again after a compaction.

One writer for the escalation handler (hot path) and `hookledger failed-path add` (CLI):
stdlib only, runs inside the caller's transaction. De-duplicated: the same approach on the
same file, still relevant, is one row (its reason and context refreshed).
"""

from __future__ import annotations

import sqlite3

from hookledger.hotpath.redact import redact
from hookledger.store.keys import approach_key

MAX_APPROACH = 500
MAX_REASON = 800
MAX_CONTEXT = 800


def _clean(text: str | None, limit: int) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    text = redact(text.strip())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def record(conn: sqlite3.Connection, *, session_id: str | None, now: str, approach: str, reason: str | None,
           file_path: str | None = None, context: str | None = None, signature: str | None = None) -> tuple[int, bool]:
    """Insert or refresh a still-relevant failed path. Returns (id, created)."""
    text = _clean(approach, MAX_APPROACH)
    if not text:
        raise ValueError("a failed path needs an approach")
    key = approach_key(text)
    row = conn.execute("SELECT id FROM failed_paths WHERE still_relevant = 1 AND approach_key = ? AND file_path IS ?"
                       " ORDER BY id DESC LIMIT 1", (key, file_path)).fetchone()
    if row:
        conn.execute(
            "UPDATE failed_paths SET timestamp = ?, reason_failed = coalesce(?, reason_failed),"
            " context = coalesce(?, context), signature = coalesce(signature, ?),"
            " session_id = coalesce(session_id, ?) WHERE id = ?",
            (now, _clean(reason, MAX_REASON), _clean(context, MAX_CONTEXT), signature, session_id, row[0]))
        return row[0], False
    cur = conn.execute(
        "INSERT INTO failed_paths (session_id, timestamp, file_path, approach, reason_failed, context, still_relevant,"
        " signature, approach_key) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
        (session_id, now, file_path, text, _clean(reason, MAX_REASON), _clean(context, MAX_CONTEXT), signature, key))
    return int(cur.lastrowid or 0), True


def relevant_for(conn: sqlite3.Connection, signature: str, file_path: str | None, limit: int = 6) -> list[tuple]:
    """(approach, reason) of the newest still-relevant failed paths with this signature or on
    this file: two indexed lookups (an OR of both would read every relevant one)."""
    sql = "SELECT id, approach, reason_failed FROM failed_paths WHERE still_relevant = 1 AND {} = ? ORDER BY id DESC LIMIT ?"
    found = {r[0]: r[1:] for r in conn.execute(sql.format("signature"), (signature, limit))}
    if file_path is not None:
        found.update({r[0]: r[1:] for r in conn.execute(sql.format("file_path"), (file_path, limit))})
    return [found[i] for i in sorted(found, reverse=True)[:limit]]


def clear_for_signatures(conn: sqlite3.Connection, signatures: list[str]) -> int:
    """The errors behind these signatures are fixed: their failed paths are no longer relevant."""
    if not signatures:
        return 0
    marks = ",".join("?" * len(signatures))
    return conn.execute(f"UPDATE failed_paths SET still_relevant = 0 WHERE still_relevant = 1 AND signature IN ({marks})",
                        signatures).rowcount
