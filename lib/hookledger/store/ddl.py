"""DDL helpers: run statements inside the caller's transaction, and DDL shared beyond migrations.

sqlite3's executescript() commits first, which would break the single atomic upgrade.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def execute_statements(conn: sqlite3.Connection | Any, sql: str) -> None:
    """Execute each complete statement of `sql` on `conn` (a sqlite3 or sqlite-utils handle)."""
    pending = ""
    for line in sql.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    if pending.strip():
        conn.execute(pending)


# The sync cursor table (m007); `hookledger sync` also ensures it on ledgers it opens.
CURSOR_DDL = """
CREATE TABLE IF NOT EXISTS sync_cursors (
    target TEXT NOT NULL,
    target_db TEXT NOT NULL,
    source_table TEXT NOT NULL,
    last_id INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT,
    PRIMARY KEY (target, target_db, source_table)
)
"""

# What each state row (a session, an agent, a task) looked like when it was last synced into a
# target (m015): an incremental sync skips the rows whose digest is unchanged.
STATE_DIGEST_DDL = """
CREATE TABLE IF NOT EXISTS sync_state_digests (
    target TEXT NOT NULL,
    target_db TEXT NOT NULL,
    source_table TEXT NOT NULL,
    row_key TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (target, target_db, source_table, row_key)
) WITHOUT ROWID
"""
