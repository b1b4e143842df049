"""m006: named views for reading the ledger with sqlite-utils, Datasette or plain sqlite3.

- v_sessions: one row per session with its counts (events, agents, files, errors, compactions).
- v_session_timeline: everything that happened in a session, one row per moment: hook runs,
  file changes, errors, compactions, agents starting and stopping (order by `at`).
- v_open_errors: errors not yet fixed or abandoned, one row per distinct failure with attempts.
- v_failed_paths: approaches that failed and are still relevant, with how often each was tried.
- v_hook_latency: per hook event, runs, p50/p95 (nearest rank) and max duration_ms, errors.

Agents and claims have their own views from m003 (v_live_agents, v_file_owners,
v_claim_conflicts). Columns used here come from the seed and m002-m004, which always apply
before this migration; docs/views.md documents every column.
"""

from hookledger.store.ddl import execute_statements

DDL = """
CREATE VIEW IF NOT EXISTS v_sessions AS
SELECT s.session_id, s.status, s.started_at, s.ended_at, s.end_reason, s.source, s.model,
       s.last_event_at, s.project_dir,
       (SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id) AS events,
       (SELECT count(*) FROM agent_registry a WHERE a.session_id = s.session_id
           AND a.id NOT LIKE 'main:%') AS subagents,
       (SELECT count(DISTINCT c.file_path) FROM file_claims c WHERE c.session_id = s.session_id) AS files_changed,
       (SELECT count(*) FROM error_log r WHERE r.session_id = s.session_id) AS errors,
       (SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id
           AND e.event_type = 'PreCompact') AS compactions
FROM sessions s;

CREATE VIEW IF NOT EXISTS v_session_timeline AS
SELECT e.session_id, e.timestamp AS at, coalesce(e.agent_id, 'main:' || e.session_id) AS agent_id,
       CASE WHEN e.event_type IN ('PreCompact', 'PostCompact') THEN 'compaction'
            WHEN e.outcome IN ('error', 'bad_input') THEN 'hook_error'
            ELSE 'hook' END AS kind,
       e.event_type AS event, e.tool_name, e.tool_use_id,
       coalesce(e.error, CASE WHEN json_valid(e.payload_summary) THEN coalesce(
           json_extract(e.payload_summary, '$.tool_input.file_path'),
           json_extract(e.payload_summary, '$.tool_input.command'),
           json_extract(e.payload_summary, '$.trigger'),
           json_extract(e.payload_summary, '$.source'),
           json_extract(e.payload_summary, '$.reason')) END) AS detail,
       e.duration_ms, e.outcome, 'hook_events' AS source_table, e.id AS source_id
FROM hook_events e
UNION ALL
SELECT c.session_id, c.timestamp, c.agent_id, 'file_change', c.operation, c.operation, c.tool_use_id,
       c.file_path, NULL, coalesce(c.phase, 'done'), 'file_claims', c.id
FROM file_claims c
UNION ALL
SELECT r.session_id, r.timestamp, coalesce(r.agent_id, 'main:' || r.session_id), 'error', r.error_category,
       r.tool_name, r.tool_use_id, substr(r.error_message, 1, 500), NULL,
       coalesce(r.resolution, 'open'), 'error_log', r.id
FROM error_log r
UNION ALL
SELECT a.session_id, a.spawn_time, a.id, 'agent_start', coalesce(a.agent_type, 'agent'), NULL, a.tool_use_id,
       a.task_description, NULL, a.status, 'agent_registry', a.rowid
FROM agent_registry a WHERE a.id NOT LIKE 'main:%'
UNION ALL
SELECT a.session_id, a.end_time, a.id, 'agent_stop', coalesce(a.agent_type, 'agent'), NULL, a.tool_use_id,
       a.task_description, NULL, a.status, 'agent_registry', a.rowid
FROM agent_registry a WHERE a.id NOT LIKE 'main:%' AND a.end_time IS NOT NULL;

CREATE VIEW IF NOT EXISTS v_open_errors AS
SELECT r.session_id, coalesce(r.signature, r.command, r.tool_name, r.error_category) AS what,
       r.error_category AS category, r.file_path, r.tool_name, count(*) AS occurrences,
       max(r.attempt_number) AS attempts, min(r.timestamp) AS first_at, max(r.timestamp) AS last_at,
       r.escalation, r.agent_id, substr(r.error_message, 1, 500) AS last_error, max(r.id) AS last_id
FROM error_log r
WHERE r.resolved_at IS NULL AND coalesce(r.resolution, '') NOT IN ('auto_fixed', 'abandoned')
GROUP BY r.session_id, coalesce(r.signature, CAST(r.id AS TEXT));

CREATE VIEW IF NOT EXISTS v_failed_paths AS
SELECT f.id, f.session_id, f.timestamp, f.file_path, f.approach, f.reason_failed, f.context,
       f.signature, count(*) OVER (PARTITION BY coalesce(f.signature, f.approach, CAST(f.id AS TEXT))) AS times_tried
FROM failed_paths f
WHERE f.still_relevant = 1;

CREATE VIEW IF NOT EXISTS v_hook_latency AS
WITH ranked AS (
    SELECT event_type, duration_ms, outcome, timestamp,
           row_number() OVER (PARTITION BY event_type ORDER BY duration_ms) AS rn,
           count(*) OVER (PARTITION BY event_type) AS n
    FROM hook_events WHERE duration_ms IS NOT NULL
)
SELECT event_type AS event, max(n) AS runs,
       max(CASE WHEN rn = (n * 50 + 99) / 100 THEN duration_ms END) AS p50_ms,
       max(CASE WHEN rn = (n * 95 + 99) / 100 THEN duration_ms END) AS p95_ms,
       max(duration_ms) AS max_ms, round(avg(duration_ms), 1) AS avg_ms,
       sum(outcome IN ('error', 'bad_input')) AS errors, max(timestamp) AS last_at
FROM ranked
GROUP BY event_type;
"""


def migrate(db) -> None:
    execute_statements(db.conn, DDL)
