"""Approaches that did not work, kept so they are not tried again after a compaction.

One writer for the escalation handler (hot path) and `hookledger failed-path add` (CLI):
stdlib only, runs inside the caller's transaction. De-duplicated: the same approach on the
same file, still relevant, is one row (its reason and context refreshed).
"""

from __future__ import annotations

import sqlite3

from hookledger.hotpath.redact import redact

MAX_APPROACH = 500
MAX_REASON = 800
MAX_CONTEXT = 800


def _clean(text: str | None, limit: int) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    text = redact(text.strip())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _key(approach: str) -> str:
    return " ".join(approach.lower().split())


def record(conn: sqlite3.Connection, *, session_id: str | None, now: str, approach: str, reason: str | None,
           file_path: str | None = None, context: str | None = None, signature: str | None = None) -> tuple[int, bool]:
    """Insert or refresh a still-relevant failed path. Returns (id, created)."""
    text = _clean(approach, MAX_APPROACH)
    if not text:
        raise ValueError("a failed path needs an approach")
    key = _key(text)
    for row_id, existing in conn.execute(
            "SELECT id, approach FROM failed_paths WHERE still_relevant = 1 AND file_path IS ? ORDER BY id DESC",
            (file_path,)):
        if _key(existing or "") == key:
            conn.execute(
                "UPDATE failed_paths SET timestamp = ?, reason_failed = coalesce(?, reason_failed),"
                " context = coalesce(?, context), signature = coalesce(signature, ?),"
                " session_id = coalesce(session_id, ?) WHERE id = ?",
                (now, _clean(reason, MAX_REASON), _clean(context, MAX_CONTEXT), signature, session_id, row_id))
            return row_id, False
    cur = conn.execute(
        "INSERT INTO failed_paths (session_id, timestamp, file_path, approach, reason_failed, context, still_relevant,"
        " signature) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
        (session_id, now, file_path, text, _clean(reason, MAX_REASON), _clean(context, MAX_CONTEXT), signature))
    return int(cur.lastrowid or 0), True


def clear_for_signatures(conn: sqlite3.Connection, signatures: list[str]) -> int:
    """The errors behind these signatures are fixed: their failed paths are no longer relevant."""
    if not signatures:
        return 0
    marks = ",".join("?" * len(signatures))
    return conn.execute(f"UPDATE failed_paths SET still_relevant = 0 WHERE still_relevant = 1 AND signature IN ({marks})",
                        signatures).rowcount
