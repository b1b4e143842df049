"""m002: what the dispatchers need beyond the seed schema.

- hook_events gains the run's identity (`event_uid`, unique: a spooled event replayed twice
  is recorded once), attribution (agent, tool, tool_use_id), outcome and error text.
- sessions: one row per Claude Code session id (new on /clear and fork, kept across
  compaction and resume), so sessions left open can be closed out on the next start.
- tasks: the task list per (session, task_id); task ids are small per-list numbers.
"""

from hookledger.store.ddl import execute_statements

HOOK_EVENT_COLUMNS = {
    "event_uid": str,
    "agent_id": str,
    "tool_name": str,
    "tool_use_id": str,
    "outcome": str,  # ok | answered | blocked | bad_input | error
    "error": str,
    "replayed": int,  # 1 when the row came from the spool
}

DDL = """
CREATE UNIQUE INDEX IF NOT EXISTS idx_hook_events_uid ON hook_events(event_uid);
CREATE INDEX IF NOT EXISTS idx_hook_events_type ON hook_events(event_type);

CREATE TABLE IF NOT EXISTS sessions (
    session_id TEXT PRIMARY KEY,
    project_dir TEXT,
    started_at TEXT DEFAULT (datetime('now')),
    ended_at TEXT,
    end_reason TEXT,
    source TEXT,                -- startup, resume, clear, compact, fork (last SessionStart)
    model TEXT,
    transcript_path TEXT,
    last_event_at TEXT,
    status TEXT DEFAULT 'active' -- active, ended, abandoned
);
CREATE INDEX IF NOT EXISTS idx_sessions_status ON sessions(status);

CREATE TABLE IF NOT EXISTS tasks (
    session_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    subject TEXT,
    description TEXT,
    status TEXT,               -- pending, in_progress, completed, deleted
    agent_id TEXT,
    created_at TEXT DEFAULT (datetime('now')),
    updated_at TEXT,
    completed_at TEXT,
    PRIMARY KEY (session_id, task_id)
);
"""


def migrate(db) -> None:
    table = db["hook_events"]
    existing = table.columns_dict
    for name, kind in HOOK_EVENT_COLUMNS.items():
        if name not in existing:
            table.add_column(name, kind, not_null_default=0 if name == "replayed" else None)
    execute_statements(db.conn, DDL)
