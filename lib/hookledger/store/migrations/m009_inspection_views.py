"""m009: inspection views, second round (m006's, checked against recorded sessions, and new ones).

Redefined (same columns first, so existing queries keep working; new columns at the end):
- v_sessions: `compactions` also counts compactions PreCompact never announced (the larger of
  PreCompact runs, SessionStart(compact) runs and the transcript's count); adds `open_errors`,
  `tool_calls`, `hook_errors`, `duration_s`.
- v_session_timeline: SessionStart(compact) is a `compaction` moment too; hook moments carry a
  readable `detail` for more tools (Agent description, Grep/Glob pattern, URL, query, task
  subject and update, batch size, prompt, tool error); adds `conflict` (claim_conflicts) and
  `failed_path` moments.
- v_open_errors: `escalation`, `agent_id` and `last_error` come from the latest attempt (m006
  took them from an unspecified row of the group); adds `command`, `resolution`.
- v_failed_paths: adds `error_attempts` and `error_open` from the error_log rows that share the
  failed path's signature in its session.
- v_live_agents (m003): adds `files_held` (distinct files; `claims_held` counts claim rows, one
  per write) and `conflicts` (conflicts the agent was party to, either side).

New:
- v_hook_latency_by_session: v_hook_latency per session.
- v_file_activity: per session and file, how often it was changed, by which agents and how.
- v_hook_problems: hook runs that went wrong (handler error, bad input, deadline) or were
  spooled because the ledger was unavailable and recorded later.

Every column is described in docs/views.md.
"""

from hookledger.store.ddl import execute_statements

# Nearest-rank percentile over rows ranked by duration within a partition (as
# hookledger.knowledge.percentiles.percentile): the value at rank ceil(n * pct / 100).
DDL = """
DROP VIEW IF EXISTS v_sessions;
CREATE VIEW v_sessions AS
SELECT s.session_id, s.status, s.started_at, s.ended_at, s.end_reason, s.source, s.model,
       s.last_event_at, s.project_dir,
       (SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id) AS events,
       (SELECT count(*) FROM agent_registry a WHERE a.session_id = s.session_id
           AND a.id NOT LIKE 'main:%') AS subagents,
       (SELECT count(DISTINCT c.file_path) FROM file_claims c WHERE c.session_id = s.session_id) AS files_changed,
       (SELECT count(*) FROM error_log r WHERE r.session_id = s.session_id) AS errors,
       max((SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id AND e.event_type = 'PreCompact'),
           (SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id AND e.event_type = 'SessionStart'
               AND json_valid(e.payload_summary) AND json_extract(e.payload_summary, '$.source') = 'compact'),
           coalesce((SELECT CAST(m.value AS INTEGER) FROM session_metrics m WHERE m.session_id = s.session_id
               AND m.event_type = 'summary' AND m.key = 'transcript_compactions'), 0)) AS compactions,
       (SELECT count(DISTINCT coalesce(r.signature, CAST(r.id AS TEXT))) FROM error_log r
           WHERE r.session_id = s.session_id AND r.resolved_at IS NULL
           AND coalesce(r.resolution, '') NOT IN ('auto_fixed', 'abandoned')) AS open_errors,
       (SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id
           AND e.event_type IN ('PostToolUse', 'PostToolUseFailure')) AS tool_calls,
       (SELECT count(*) FROM hook_events e WHERE e.session_id = s.session_id
           AND e.outcome IN ('error', 'bad_input')) AS hook_errors,
       round((julianday(coalesce(s.ended_at, s.last_event_at)) - julianday(s.started_at)) * 86400, 1) AS duration_s
FROM sessions s;

DROP VIEW IF EXISTS v_session_timeline;
CREATE VIEW v_session_timeline AS
SELECT e.session_id, e.timestamp AS at, coalesce(e.agent_id, 'main:' || e.session_id) AS agent_id,
       CASE WHEN e.event_type IN ('PreCompact', 'PostCompact') THEN 'compaction'
            WHEN e.event_type = 'SessionStart' AND json_valid(e.payload_summary)
                 AND json_extract(e.payload_summary, '$.source') = 'compact' THEN 'compaction'
            WHEN e.outcome IN ('error', 'bad_input') THEN 'hook_error'
            ELSE 'hook' END AS kind,
       e.event_type AS event, e.tool_name, e.tool_use_id,
       coalesce(e.error, CASE WHEN json_valid(e.payload_summary) THEN coalesce(
           json_extract(e.payload_summary, '$.error'),
           json_extract(e.payload_summary, '$.tool_input.file_path'),
           json_extract(e.payload_summary, '$.tool_input.notebook_path'),
           json_extract(e.payload_summary, '$.tool_input.command'),
           json_extract(e.payload_summary, '$.tool_input.description'),
           json_extract(e.payload_summary, '$.tool_input.pattern'),
           json_extract(e.payload_summary, '$.tool_input.url'),
           json_extract(e.payload_summary, '$.tool_input.query'),
           json_extract(e.payload_summary, '$.tool_input.subject'),
           json_extract(e.payload_summary, '$.task_subject'),
           'task ' || json_extract(e.payload_summary, '$.tool_input.taskId')
               || coalesce(' ' || json_extract(e.payload_summary, '$.tool_input.status'), ''),
           json_array_length(e.payload_summary, '$.tool_calls') || ' tool call(s)',
           json_extract(e.payload_summary, '$.agent_type'),
           json_extract(e.payload_summary, '$.prompt'),
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
SELECT k.session_id, k.timestamp, k.agent_id, 'conflict', k.answer, k.tool_name, k.tool_use_id,
       k.file_path || ' held by ' || coalesce(k.holder_agent_id, '?')
           || coalesce(' (' || k.holder_task || ')', ''), NULL, k.policy, 'claim_conflicts', k.id
FROM claim_conflicts k
UNION ALL
SELECT f.session_id, f.timestamp, 'main:' || f.session_id, 'failed_path', 'failed_path', NULL, NULL,
       f.approach || coalesce(': ' || f.reason_failed, ''), NULL,
       CASE WHEN f.still_relevant = 1 THEN 'relevant' ELSE 'cleared' END, 'failed_paths', f.id
FROM failed_paths f WHERE f.session_id IS NOT NULL
UNION ALL
SELECT a.session_id, a.spawn_time, a.id, 'agent_start', coalesce(a.agent_type, 'agent'), NULL, a.tool_use_id,
       a.task_description, NULL, a.status, 'agent_registry', a.rowid
FROM agent_registry a WHERE a.id NOT LIKE 'main:%'
UNION ALL
SELECT a.session_id, a.end_time, a.id, 'agent_stop', coalesce(a.agent_type, 'agent'), NULL, a.tool_use_id,
       a.task_description, NULL, a.status, 'agent_registry', a.rowid
FROM agent_registry a WHERE a.id NOT LIKE 'main:%' AND a.end_time IS NOT NULL;

DROP VIEW IF EXISTS v_open_errors;
CREATE VIEW v_open_errors AS
WITH open AS (
    SELECT id, session_id, attempt_number, timestamp, coalesce(signature, CAST(id AS TEXT)) AS grp
    FROM error_log
    WHERE resolved_at IS NULL AND coalesce(resolution, '') NOT IN ('auto_fixed', 'abandoned')
), grouped AS (
    SELECT session_id, grp, count(*) AS occurrences, max(attempt_number) AS attempts,
           min(timestamp) AS first_at, max(timestamp) AS last_at, max(id) AS last_id
    FROM open GROUP BY session_id, grp
)
SELECT g.session_id, coalesce(r.signature, r.command, r.tool_name, r.error_category) AS what,
       r.error_category AS category, r.file_path, r.tool_name, g.occurrences, g.attempts,
       g.first_at, g.last_at, r.escalation, r.agent_id, substr(r.error_message, 1, 500) AS last_error,
       g.last_id, r.command, r.resolution
FROM grouped g JOIN error_log r ON r.id = g.last_id;

DROP VIEW IF EXISTS v_failed_paths;
CREATE VIEW v_failed_paths AS
SELECT f.id, f.session_id, f.timestamp, f.file_path, f.approach, f.reason_failed, f.context,
       f.signature, count(*) OVER (PARTITION BY coalesce(f.signature, f.approach, CAST(f.id AS TEXT))) AS times_tried,
       (SELECT max(r.attempt_number) FROM error_log r WHERE r.signature = f.signature
           AND r.session_id IS f.session_id) AS error_attempts,
       EXISTS (SELECT 1 FROM error_log r WHERE r.signature = f.signature AND r.resolved_at IS NULL
           AND coalesce(r.resolution, '') NOT IN ('auto_fixed', 'abandoned')) AS error_open
FROM failed_paths f
WHERE f.still_relevant = 1;

DROP VIEW IF EXISTS v_live_agents;
CREATE VIEW v_live_agents AS
SELECT a.id AS agent_id, a.session_id, a.agent_type, a.task_description, a.spawn_time,
       a.last_event_at, a.unattributed, CASE WHEN json_valid(a.files_changed) THEN json_array_length(a.files_changed) ELSE 0 END AS files_changed_count,
       (SELECT count(*) FROM file_claims c WHERE c.agent_id = a.id AND coalesce(c.status, 'held') = 'held'
           AND c.released_at IS NULL) AS claims_held,
       (SELECT count(DISTINCT c.file_path) FROM file_claims c WHERE c.agent_id = a.id
           AND coalesce(c.status, 'held') = 'held' AND c.released_at IS NULL) AS files_held,
       (SELECT count(*) FROM claim_conflicts k WHERE k.agent_id = a.id OR k.holder_agent_id = a.id) AS conflicts
FROM agent_registry a
WHERE a.status = 'running';

CREATE VIEW IF NOT EXISTS v_hook_latency_by_session AS
WITH ranked AS (
    SELECT session_id, event_type, duration_ms, outcome, timestamp,
           row_number() OVER (PARTITION BY session_id, event_type ORDER BY duration_ms) AS rn,
           count(*) OVER (PARTITION BY session_id, event_type) AS n
    FROM hook_events WHERE duration_ms IS NOT NULL
)
SELECT session_id, event_type AS event, max(n) AS runs,
       max(CASE WHEN rn = (n * 50 + 99) / 100 THEN duration_ms END) AS p50_ms,
       max(CASE WHEN rn = (n * 95 + 99) / 100 THEN duration_ms END) AS p95_ms,
       max(duration_ms) AS max_ms, round(avg(duration_ms), 1) AS avg_ms,
       sum(outcome IN ('error', 'bad_input')) AS errors, max(timestamp) AS last_at
FROM ranked
GROUP BY session_id, event_type;

CREATE VIEW IF NOT EXISTS v_file_activity AS
SELECT c.session_id, c.file_path, count(*) AS changes,
       sum(coalesce(c.phase, 'done') = 'failed') AS failed,
       count(DISTINCT c.agent_id) AS agents, group_concat(DISTINCT c.agent_id) AS agent_ids,
       group_concat(DISTINCT c.operation) AS operations, sum(c.status = 'shared') AS shared_writes,
       min(c.timestamp) AS first_at, max(c.timestamp) AS last_at
FROM file_claims c
GROUP BY c.session_id, c.file_path;

CREATE VIEW IF NOT EXISTS v_hook_problems AS
SELECT e.id, e.timestamp, e.session_id, e.event_type AS event, e.tool_name, e.agent_id,
       CASE WHEN e.outcome = 'bad_input' THEN 'bad_input'
            WHEN e.outcome = 'error' AND e.error LIKE 'hook gave up%' THEN 'deadline'
            WHEN e.outcome = 'error' THEN 'handler_error'
            ELSE 'spooled' END AS problem,
       e.outcome, e.exit_code, e.duration_ms, e.replayed, substr(e.error, 1, 500) AS error
FROM hook_events e
WHERE e.outcome IN ('error', 'bad_input') OR e.replayed = 1;
"""


def migrate(db) -> None:
    execute_statements(db.conn, DDL)
