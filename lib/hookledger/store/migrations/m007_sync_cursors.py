"""m007: sync cursors, one per (target system, target database, source table).

`hookledger sync` resumes each source table after `last_id` (its rowid), so a rerun reads only
new rows; the sync code also creates this table itself for ledgers made before this migration.
"""

from hookledger.store.ddl import CURSOR_DDL, execute_statements


def migrate(db) -> None:
    execute_statements(db.conn, CURSOR_DDL)
