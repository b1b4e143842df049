"""m014: what cost and the transcript import need.

transcript_usage (one row per API response, keyed by message id + request id) gains what a
price needs beyond the four counters: the split of cache writes into 5-minute and 1-hour
writes (`cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`; priced
differently), when the response was written (prices change on a date), which agent it was
(main:<session> or a subagent id) and who recorded it (`source`: 'hook' or 'import').

`origin` marks rows the transcript import wrote ('import'; NULL: written by a hook) in every
table the import fills, so an imported session differs from a recorded one only by that mark
and the missing hook timings. sessions also keep the cwd and git branch the transcript names.

import_files: the per-file cursor of `hookledger import` (size, mtime and the byte offset
consumed, the hash of the file's first bytes to notice a replaced file) and what the last
reads skipped (bad lines, unknown record types), reported by the import and by doctor.
"""

from hookledger.store.ddl import execute_statements

ORIGIN_TABLES = ("sessions", "agent_registry", "agent_spawns", "file_claims", "error_log",
                 "context_snapshots", "hook_events", "tasks")

USAGE_COLUMNS = (
    ("cache_creation_5m_tokens", "INTEGER NOT NULL DEFAULT 0"),
    ("cache_creation_1h_tokens", "INTEGER NOT NULL DEFAULT 0"),
    ("timestamp", "TEXT"),
    ("agent_id", "TEXT"),
    ("source", "TEXT NOT NULL DEFAULT 'hook'"),
)

DDL = """
CREATE TABLE IF NOT EXISTS import_files (
    path TEXT PRIMARY KEY,             -- the transcript file as read (absolute)
    session_id TEXT,
    agent_id TEXT,                     -- main:<session_id> or the subagent of a sidechain file
    size INTEGER NOT NULL DEFAULT 0,   -- file size at the last read
    mtime_ns INTEGER NOT NULL DEFAULT 0,
    offset INTEGER NOT NULL DEFAULT 0, -- bytes consumed (complete lines only)
    head TEXT,                         -- hash of the first bytes: a replaced file is read again
    lines INTEGER NOT NULL DEFAULT 0,  -- lines read over every import of the file
    bad_lines INTEGER NOT NULL DEFAULT 0,       -- not JSON, not an object, cut short
    unknown_records INTEGER NOT NULL DEFAULT 0, -- a record type the import does not know
    imported_at TEXT
);
CREATE INDEX IF NOT EXISTS idx_import_files_session ON import_files(session_id);
"""


def _columns(db, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}


def migrate(db) -> None:
    # On a ledger that gets this migration before m004 (applied by name, in any order), the
    # table is created as m004 creates it, so that its columns and index are added here.
    from hookledger.store.migrations.m004_errors_snapshots_metrics import DDL as M004

    db.execute(M004[M004.index("CREATE TABLE IF NOT EXISTS transcript_usage"):].strip().rstrip(";"))
    have = _columns(db, "transcript_usage")
    for name, decl in USAGE_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE transcript_usage ADD COLUMN {name} {decl}")
    for table in ORIGIN_TABLES:  # a table an earlier migration has not created yet is left alone
        columns = _columns(db, table)
        if columns and "origin" not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN origin TEXT")
    session_columns = _columns(db, "sessions")
    for name in ("cwd", "git_branch"):
        if name not in session_columns:
            db.execute(f"ALTER TABLE sessions ADD COLUMN {name} TEXT")
    execute_statements(db, DDL)
    # `cost --since` reads a time range
    db.execute("CREATE INDEX IF NOT EXISTS idx_usage_timestamp ON transcript_usage(timestamp)")
