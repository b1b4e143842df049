"""m015: what lets an incremental `hookledger sync` work in proportion to what is new.

- `sync_state_digests`, one row per (target system, target database, source table, state
  row): state rows (sessions, agents, tasks) change in place, so the sync cannot read them
  after a cursor; it re-reads them and skips those whose digest (the row and its session as the
  sync saw them) is the one recorded when it last wrote them. The sync code also creates this
  table on ledgers made before.
- `idx_hook_events_subagent`, a partial index over the hook runs of subagents only (the main
  thread's have no agent_id): the sync lists the subagents seen in hook_events (some never reached agent_registry)
  with one seek per subagent instead of grouping every hook run of the ledger. The main
  thread's runs, most of them, are not in it.
"""

from hookledger.store.ddl import STATE_DIGEST_DDL, execute_statements

SUBAGENT_INDEX = "idx_hook_events_subagent"


def migrate(db) -> None:
    execute_statements(db.conn, STATE_DIGEST_DDL)
    db.execute(f"CREATE INDEX IF NOT EXISTS {SUBAGENT_INDEX} ON hook_events(agent_id, session_id)"
               " WHERE agent_id IS NOT NULL")
