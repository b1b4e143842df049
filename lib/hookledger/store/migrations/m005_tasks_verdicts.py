"""m005: the task quality gate.

- llm_verdicts gains `source`: who decided. The gate's own TaskCompleted rows say the mode
  (`observe`, `checks`, `judge`); verdicts recorded by `hookledger verdict record` say
  `judge:<name>` (hook_event 'judge' while waiting for the task's next completion,
  'TaskCompleted' when recorded on the completion in progress); what the TaskUpdate result
  showed (another hook's block, or in judge mode a completion that went through) says `hooks`
  (hook_event 'TaskUpdate'). See hookledger/handlers/verdicts.py.
- idx_verdicts_task: the gate reads a task's latest verdicts on every TaskCompleted (loop
  guard, judge lookup).
- tasks gains `status_reason`: why a task is not where the model tried to put it (creation
  refused by a TaskCreated hook, completion blocked by the gate or refused by another hook).
"""

from hookledger.store.ddl import execute_statements

DDL = """
CREATE INDEX IF NOT EXISTS idx_verdicts_task ON llm_verdicts(session_id, task_id);
"""


def migrate(db) -> None:
    if "source" not in db["llm_verdicts"].columns_dict:
        db["llm_verdicts"].add_column("source", str)
    if "status_reason" not in db["tasks"].columns_dict:
        db["tasks"].add_column("status_reason", str)
    execute_statements(db.conn, DDL)
