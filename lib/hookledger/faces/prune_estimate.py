"""What the size cap would delete after the age pass, for `hookledger prune --dry-run`.

A dry run changes nothing, so the size pass cannot be run to see where it stops: it is
estimated. Each table's bytes (its rows with their index entries, from SQLite's dbstat) over
its rows give the bytes one row frees; the age pass's counts then give the data left, and the
size pass is followed as faces/retention does it: the oldest hook runs outside the protected
sessions first, then whole sessions, oldest first, until the data fits. Deleting rows frees
whole pages only as they empty, so the real pass may need somewhat more than estimated.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from hookledger.faces.retention import SESSION_TABLES, Result, expirable_sessions, live_bytes, protected_sessions


def table_rows(conn: sqlite3.Connection) -> dict[str, int]:
    return {name: conn.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0] for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


def bytes_per_row(conn: sqlite3.Connection, counts: dict[str, int]) -> dict[str, float]:
    """Table -> bytes one row takes with its index entries. Without dbstat (a build option of
    SQLite) every row is taken to weigh the same share of the live data."""
    try:
        sizes = dict(conn.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d"
            " LEFT JOIN sqlite_master m ON m.name = d.name WHERE d.aggregate = TRUE GROUP BY 1").fetchall())
    except sqlite3.OperationalError:
        share = live_bytes(conn) / max(1, sum(counts.values()))
        return {name: share for name in counts}
    return {name: sizes.get(name, 0) / n for name, n in counts.items() if n}


def estimate(conn: sqlite3.Connection, result: Result, max_bytes: int) -> dict[str, Any]:
    """After the age pass `result` counted: the data left, and the hook runs and sessions the
    size cap would then delete (about)."""
    now = live_bytes(conn)
    if now <= max_bytes:
        return {"live_bytes_after_age": now, "hook_events": 0, "sessions": 0, "reaches_cap": True}
    rows = table_rows(conn)
    weight = bytes_per_row(conn, rows)
    left = now - sum(n * weight.get(table, 0) for table, n in result.deleted.items())
    out: dict[str, Any] = {"live_bytes_after_age": int(max(left, 0)), "hook_events": 0, "sessions": 0}
    excess = left - max_bytes
    event_bytes = weight.get("hook_events", 0)
    if excess > 0 and event_bytes:
        protected = sorted(protected_sessions(conn))
        in_protected = conn.execute(
            f"SELECT coalesce(sum(events), 0) FROM session_totals WHERE session_id IN ({','.join('?' * len(protected))})",
            protected).fetchone()[0] if protected else 0
        total = conn.execute("SELECT coalesce(sum(events), 0) FROM session_totals").fetchone()[0] + \
            conn.execute("SELECT count(*) FROM hook_events WHERE session_id IS NULL").fetchone()[0]
        available = max(0, total - result.deleted.get("hook_events", 0) - in_protected)
        out["hook_events"] = min(available, math.ceil(excess / event_bytes))
        excess -= out["hook_events"] * event_bytes
    if excess > 0:
        # Whole sessions next: the logs of each, other than hook runs (gone already), weigh
        # about the same; sessions the age pass expired are not counted again.
        expired = set(result.expired_sessions)
        candidates = [s for s in expirable_sessions(conn) if s not in expired]
        logs = sum(rows.get(t, 0) * weight.get(t, 0) for t, _ in SESSION_TABLES[1:]) - \
            sum(n * weight.get(t, 0) for t, n in result.deleted.items() if t != "hook_events")
        per_session = logs / max(1, len(candidates) + len(protected_sessions(conn)))
        out["sessions"] = min(len(candidates), math.ceil(excess / per_session)) if per_session > 0 else 0
        excess -= out["sessions"] * per_session
    out["reaches_cap"] = excess <= 0
    return out

