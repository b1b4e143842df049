"""Run DDL statement by statement inside the caller's transaction.

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
