"""m004: errors with escalation, failed paths, snapshots, metrics, project state.

- error_log gains `signature` (normalised command, or tool:file: what "the same thing" is),
  `tool_name`, `command` (redacted), `tool_use_id` (unique when known: a hook delivered twice
  records one error), `resolved_at` (auto_fixed / abandoned) and `escalation` (the highest
  escalation reached, kept when the error is later fixed).
- failed_paths gains `signature`: the error it came from, so fixing that error clears it.
- session_metrics: rows with event_type 'summary' are hookledger's per-session aggregates,
  one per (session_id, key) (a partial unique index: rows of the original hooks are kept).
- transcript_cursors: how far each transcript has been read (byte offset).
- transcript_usage: token usage per assistant message (message.id + requestId), max kept, so
  repeated and partial usage lines count once.
"""

from hookledger.store.ddl import execute_statements

ERROR_COLUMNS = {"signature": str, "tool_name": str, "command": str, "tool_use_id": str,
                 "resolved_at": str, "escalation": str}
FAILED_PATH_COLUMNS = {"signature": str}

DDL = """
CREATE INDEX IF NOT EXISTS idx_errors_signature ON error_log(session_id, signature);
CREATE UNIQUE INDEX IF NOT EXISTS idx_errors_tool_use ON error_log(tool_use_id) WHERE tool_use_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_failed_signature ON failed_paths(signature);
CREATE UNIQUE INDEX IF NOT EXISTS idx_metrics_summary ON session_metrics(session_id, key) WHERE event_type = 'summary';

CREATE TABLE IF NOT EXISTS transcript_cursors (
    session_id TEXT NOT NULL,
    path TEXT NOT NULL,
    offset INTEGER NOT NULL DEFAULT 0, -- bytes consumed (complete lines only)
    updated_at TEXT,
    PRIMARY KEY (session_id, path)
);

CREATE TABLE IF NOT EXISTS transcript_usage (
    session_id TEXT NOT NULL,
    message_key TEXT NOT NULL,         -- message.id + ':' + requestId
    model TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, message_key)
);
"""


def migrate(db) -> None:
    for table, columns in (("error_log", ERROR_COLUMNS), ("failed_paths", FAILED_PATH_COLUMNS)):
        existing = db[table].columns_dict
        for name, kind in columns.items():
            if name not in existing:
                db[table].add_column(name, kind)
    execute_statements(db.conn, DDL)
