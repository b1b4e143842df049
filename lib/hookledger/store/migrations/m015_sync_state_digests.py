"""m015: sync state digests, one per (target system, target database, source table, state row).

State rows (sessions, agents, tasks) change in place, so `hookledger sync` cannot read them
after a cursor: it re-reads them, and skips those whose digest (the row and its session as the
sync saw them) is the one recorded when it last wrote them, so an incremental sync writes
only what changed. The sync code also creates this table on ledgers made before.
"""

from hookledger.store.ddl import STATE_DIGEST_DDL, execute_statements


def migrate(db) -> None:
    execute_statements(db.conn, STATE_DIGEST_DDL)
