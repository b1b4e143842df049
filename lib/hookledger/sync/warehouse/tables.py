"""Which ledger tables go to the warehouse, and how their rows change (one entry per table).

The columns and their types come from the warehouse table itself (its migration), the key from
its primary key minus ledger_id: an entry says only how the sync finds the rows to send.

- APPEND: rows never change once written. Sent once, after a cursor on the ledger's rowid.
- SESSION: rows change in place, but only inside a hook run of their own session or of one of
  its agents (every hook run commits its changes with its hook_events row), or while their
  session is still open (the next session's start closes out a stale one: its errors, metrics
  and status change). New rows go after the cursor; rows of the sessions touched by hook runs
  since the last sync, and of the sessions the warehouse still holds as active, are sent again
  (unchanged ones write nothing).
- ANY: rows change from anywhere (another session's hook, a CLI command): all rows are sent
  again on every sync. Only for small tables.

A ledger table not listed here is not synced (the sync summary names it); a table listed here
that a ledger or the warehouse lacks is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

APPEND, SESSION, ANY = "append", "session", "any"


@dataclass(frozen=True)
class Table:
    name: str
    changes: str


TABLES: tuple[Table, ...] = (
    Table("sessions", SESSION),
    Table("project_state", ANY),            # no session; a few keys
    Table("failed_paths", ANY),             # a fix clears matching failed paths of every session; CLI
    Table("agent_registry", SESSION),
    Table("agent_spawns", SESSION),
    Table("tasks", SESSION),
    Table("file_claims", SESSION),          # phase, status, released_at
    Table("error_log", SESSION),            # resolution, resolved_at, escalation
    Table("session_metrics", SESSION),      # summary rows are upserted
    Table("transcript_usage", SESSION),
    Table("transcript_cursors", SESSION),
    Table("prompts", APPEND),               # one row per prompt, never changed (m012)
    Table("claim_conflicts", APPEND),
    Table("context_snapshots", APPEND),
    Table("llm_verdicts", APPEND),
    Table("hook_events", APPEND),           # last: the big one
)

# Ledger tables that are the ledger's own bookkeeping, not records: never synced. m011's counters
# are derived from hook_events, which the warehouse holds whole.
INTERNAL = frozenset({"_sqlite_migrations", "sync_cursors", "sqlite_sequence", "sqlite_stat1",
                      "session_totals", "session_tool_calls", "hook_latency_counts",
                      "import_files", "sync_state_digests"})  # import and sync cursors (m014, m015)
