"""m003: agent registry and file claims.

- agent_registry gains `last_event_at` (stale detection), `unattributed` (1 for an agent id
  first seen on a tool event, never announced by SubagentStart), and `tool_use_id` (the Agent
  tool call that spawned it, which is where its task_description came from).
- agent_spawns: every Agent/Task tool call, so a SubagentStart can be matched to the call
  that launched it, whichever of the two arrives first.
- file_claims gains `tool_use_id`, `status` (held: taken with no live holder; shared: written
  while another live agent held it, after a warning or the user's approval), `phase`
  (requested at PreToolUse, done/failed after the tool ran) and `released_at` (its agent ended).
- claim_conflicts: each time an agent wanted a file another live agent held, and the answer.
- Views: v_live_agents, v_file_owners, v_claim_conflicts.
"""

from hookledger.store.ddl import execute_statements

AGENT_COLUMNS = {"last_event_at": str, "unattributed": int, "tool_use_id": str}
CLAIM_COLUMNS = {"tool_use_id": str, "status": str, "phase": str, "released_at": str}

DDL = """
CREATE INDEX IF NOT EXISTS idx_agent_tool_use ON agent_registry(tool_use_id);
CREATE INDEX IF NOT EXISTS idx_claims_file ON file_claims(file_path, timestamp);
CREATE INDEX IF NOT EXISTS idx_claims_tool_use ON file_claims(tool_use_id);

CREATE TABLE IF NOT EXISTS agent_spawns (
    tool_use_id TEXT PRIMARY KEY,  -- the Agent (or legacy Task) tool call
    session_id TEXT NOT NULL,
    parent_agent_id TEXT,          -- who called the tool (main:<session_id> or a subagent)
    subagent_type TEXT,
    description TEXT,              -- redacted
    prompt TEXT,                   -- redacted, capped
    requested_at TEXT,
    agent_id TEXT,                 -- the agent it launched, once known
    status TEXT DEFAULT 'requested' -- requested, async_launched, completed, failed
);
CREATE INDEX IF NOT EXISTS idx_spawns_session_type ON agent_spawns(session_id, subagent_type, agent_id);

CREATE TABLE IF NOT EXISTS claim_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    timestamp TEXT DEFAULT (datetime('now')),
    session_id TEXT,
    file_path TEXT NOT NULL,
    agent_id TEXT,                 -- the agent that wanted the file
    tool_name TEXT,
    tool_use_id TEXT,
    operation TEXT,
    holder_agent_id TEXT,          -- the live agent holding it
    holder_task TEXT,
    holder_claimed_at TEXT,
    policy TEXT,                   -- claims.policy in force: warn, ask, deny
    answer TEXT                    -- what the agent was told: warn (allowed + context), ask, deny
);
CREATE INDEX IF NOT EXISTS idx_conflicts_file ON claim_conflicts(file_path);
CREATE INDEX IF NOT EXISTS idx_conflicts_tool_use ON claim_conflicts(tool_use_id);

CREATE VIEW IF NOT EXISTS v_live_agents AS
SELECT a.id AS agent_id, a.session_id, a.agent_type, a.task_description, a.spawn_time,
       a.last_event_at, a.unattributed, CASE WHEN json_valid(a.files_changed) THEN json_array_length(a.files_changed) ELSE 0 END AS files_changed_count,
       (SELECT count(*) FROM file_claims c WHERE c.agent_id = a.id AND coalesce(c.status, 'held') = 'held'
           AND c.released_at IS NULL) AS claims_held
FROM agent_registry a
WHERE a.status = 'running';

CREATE VIEW IF NOT EXISTS v_file_owners AS
SELECT c.file_path, c.agent_id AS holder_agent_id, a.agent_type AS holder_agent_type,
       a.task_description AS holder_task, a.status AS holder_status, c.operation, c.timestamp AS claimed_at,
       c.released_at, c.session_id, (a.status = 'running' AND c.released_at IS NULL) AS live
FROM file_claims c
JOIN (SELECT file_path, max(id) AS id FROM file_claims WHERE coalesce(status, 'held') = 'held'
      GROUP BY file_path) latest ON latest.id = c.id
LEFT JOIN agent_registry a ON a.id = c.agent_id;

CREATE VIEW IF NOT EXISTS v_claim_conflicts AS
SELECT k.id, k.timestamp, k.session_id, k.file_path, k.agent_id, r.agent_type AS agent_type,
       k.tool_name, k.operation, k.holder_agent_id, h.agent_type AS holder_agent_type, k.holder_task,
       k.holder_claimed_at, k.policy, k.answer
FROM claim_conflicts k
LEFT JOIN agent_registry r ON r.id = k.agent_id
LEFT JOIN agent_registry h ON h.id = k.holder_agent_id;
"""


def migrate(db) -> None:
    for table, columns in (("agent_registry", AGENT_COLUMNS), ("file_claims", CLAIM_COLUMNS)):
        existing = db[table].columns_dict
        for name, kind in columns.items():
            if name not in existing:
                db[table].add_column(name, kind, not_null_default=0 if name == "unattributed" else None)
    execute_statements(db.conn, DDL)
