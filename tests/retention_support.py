"""Age and grow a recorded ledger for the retention tests (and the figures in the README).

Every row stays one the real hooks wrote: `age_sessions` moves a session's times into the past,
`grow` copies the recorded sessions' rows under new session ids, one copy per hour further back.
"""

from __future__ import annotations

import sqlite3

# (table, time columns) of everything session-scoped that carries a time.
TIMED = {
    "sessions": ("started_at", "ended_at", "last_event_at"),
    "hook_events": ("timestamp",),
    "agent_registry": ("spawn_time", "end_time", "last_event_at"),
    "file_claims": ("timestamp", "released_at"),
    "claim_conflicts": ("timestamp", "holder_claimed_at"),
    "error_log": ("timestamp", "resolved_at"),
    "failed_paths": ("timestamp",),
    "context_snapshots": ("timestamp",),
    "session_metrics": ("timestamp",),
    "llm_verdicts": ("timestamp",),
    "agent_spawns": ("requested_at",),
    "tasks": ("created_at", "updated_at", "completed_at"),
}


def age_sessions(db: str, session_ids: list[str], days: float) -> None:
    """Move every time of these sessions `days` into the past."""
    conn = sqlite3.connect(db)
    marks = ",".join("?" * len(session_ids))
    for table, columns in TIMED.items():
        sets = ", ".join(f"{c} = strftime('%Y-%m-%d %H:%M:%f', {c}, '-{days} days')" for c in columns)
        conn.execute(f"UPDATE {table} SET {sets} WHERE session_id IN ({marks})", session_ids)
    conn.commit()
    conn.close()


def grow(db: str, copies: int, days_back: float = 0.0) -> None:
    """Add `copies` ended copies of every recorded session (hook runs, claims, errors, agents,
    snapshots, metrics), copy k shifted `days_back` days plus k hours into the past."""
    conn = sqlite3.connect(db)
    cols = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in TIMED}
    sources = [r[0] for r in conn.execute("SELECT session_id FROM sessions")]
    for k in range(1, copies + 1):
        shift = f"'-{days_back * 24 + k} hours'"
        for table, timed in TIMED.items():
            if table in ("agent_spawns", "tasks", "llm_verdicts"):
                continue  # keyed by tool call / task; not needed for bulk
            names = [c for c in cols[table] if c != "id"]

            def value(c: str) -> str:
                if c in ("session_id", "event_uid", "agent_id", "holder_agent_id", "tool_use_id") or \
                        (table == "agent_registry" and c == "id"):
                    return f"'copy{k}-' || {c}"  # NULL stays NULL
                if table == "error_log" and c == "resolved_at":  # the copies' errors were closed
                    return f"coalesce(strftime('%Y-%m-%d %H:%M:%f', resolved_at, {shift}), ended.at)"
                if table == "error_log" and c == "resolution":
                    return "coalesce(resolution, 'abandoned')"
                if table == "failed_paths" and c == "still_relevant":
                    return "0"
                if c in timed:
                    return f"strftime('%Y-%m-%d %H:%M:%f', {c}, {shift})"
                if table == "sessions" and c == "status":
                    return "'ended'"
                if table == "agent_registry" and c == "status":
                    return "CASE WHEN status = 'running' THEN 'completed' ELSE status END"
                return c
            if table == "agent_registry":
                names = cols[table]
            marks = ",".join("?" * len(sources))
            ended = f" JOIN (SELECT strftime('%Y-%m-%d %H:%M:%f', max(timestamp), {shift}) AS at FROM hook_events) ended" \
                if table == "error_log" else ""
            conn.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(value(c) for c in names)}"
                         f" FROM {table}{ended} WHERE session_id IN ({marks})", sources)
        conn.commit()
    conn.close()
