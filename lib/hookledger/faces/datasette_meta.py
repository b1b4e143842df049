"""Datasette metadata for the ledger: view descriptions and canned queries over the views.

    hookledger datasette-metadata > metadata.json
    datasette .claude-session.db -m metadata.json

Datasette names a database after its file, so `.claude-session.db` is `.claude-session`; the
metadata is keyed by that name (`--db` changes it). Queries that take `:session` accept a
session id or any prefix of one, as the CLI does.
"""

from __future__ import annotations

import os
from typing import Any

# One line per view, shown by Datasette (and listed in the README).
VIEWS: dict[str, str] = {
    "v_sessions": "One row per session: status, start and end, events, tool calls, subagents, files, errors, compactions.",
    "v_session_timeline": "Everything that happened in a session, one row per moment (order by at).",
    "v_live_agents": "Running agents, the files they hold and the conflicts they were party to.",
    "v_file_owners": "Per file, the latest held claim and whether its holder is still live.",
    "v_claim_conflicts": "Each time an agent wanted a file another live agent held, and the answer.",
    "v_file_activity": "Per session and file: how often it changed, by which agents, how.",
    "v_open_errors": "Errors not yet fixed or abandoned, one row per failure, with attempts and the latest message.",
    "v_failed_paths": "Approaches that failed and are still relevant, linked to their errors.",
    "v_hook_latency": "Per hook event: runs, p50/p95/max time inside the hook (ms), errors.",
    "v_hook_latency_by_session": "v_hook_latency per session.",
    "v_hook_problems": "Hook runs that failed, got bad input, hit the deadline, or were spooled and recorded later.",
}

SESSION = "session_id LIKE :session || '%'"
QUERIES: dict[str, dict[str, str]] = {
    "sessions": {
        "title": "Sessions, newest first",
        "sql": "SELECT * FROM v_sessions ORDER BY started_at DESC",
    },
    "session_timeline": {
        "title": "A session's timeline",
        "description": "Every moment of one session. session: an id or its first characters.",
        "sql": "SELECT at, agent_id, kind, event, tool_name, detail, duration_ms, outcome FROM v_session_timeline"
               f" WHERE {SESSION} ORDER BY at, source_table = 'hook_events' DESC, source_id",
    },
    "session_file_changes": {
        "title": "Files a session changed",
        "sql": f"SELECT * FROM v_file_activity WHERE {SESSION} ORDER BY last_at DESC",
    },
    "session_latency": {
        "title": "Hook latency in one session",
        "sql": f"SELECT * FROM v_hook_latency_by_session WHERE {SESSION} ORDER BY p95_ms DESC",
    },
    "live_agents": {
        "title": "Agents running now",
        "sql": "SELECT * FROM v_live_agents ORDER BY last_event_at DESC",
    },
    "files_held": {
        "title": "Files held by a live agent",
        "sql": "SELECT * FROM v_file_owners WHERE live = 1 ORDER BY claimed_at DESC",
    },
    "claim_conflicts": {
        "title": "Claim conflicts",
        "sql": "SELECT * FROM v_claim_conflicts ORDER BY timestamp DESC",
    },
    "open_errors": {
        "title": "Open errors with their attempts",
        "sql": "SELECT * FROM v_open_errors ORDER BY attempts DESC, last_at DESC",
    },
    "failed_paths": {
        "title": "Failed approaches still relevant",
        "sql": "SELECT * FROM v_failed_paths ORDER BY timestamp DESC",
    },
    "hook_latency": {
        "title": "Hook latency per event",
        "sql": "SELECT * FROM v_hook_latency ORDER BY p95_ms DESC",
    },
    "slowest_hook_runs": {
        "title": "The 50 slowest hook runs",
        "sql": "SELECT id, timestamp, session_id, event_type, tool_name, duration_ms, outcome FROM hook_events"
               " WHERE duration_ms IS NOT NULL ORDER BY duration_ms DESC LIMIT 50",
    },
    "hook_problems": {
        "title": "Hook runs that went wrong",
        "sql": "SELECT * FROM v_hook_problems ORDER BY timestamp DESC",
    },
}


def database_name(db_path: str) -> str:
    """The name Datasette gives the database: its file name without the extension."""
    return os.path.splitext(os.path.basename(db_path))[0]


def metadata(db_path: str = ".claude-session.db") -> dict[str, Any]:
    """The metadata document for `datasette DB -m FILE`."""
    return {
        "title": "hookledger session ledger",
        "description": "Claude Code hook events recorded by hookledger. Start with the canned queries below.",
        "databases": {
            database_name(db_path): {
                "description": "One Claude Code project's ledger: hook runs, agents, file claims, errors, snapshots.",
                "tables": {name: {"description": text} for name, text in VIEWS.items()},
                "queries": QUERIES,
            },
        },
    }
