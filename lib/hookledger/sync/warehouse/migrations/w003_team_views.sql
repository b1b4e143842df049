-- w003: the team views (docs/warehouse.md). Every view carries the ledger's host, person and
-- project, so one query answers across machines, people and repositories. Windowed questions
-- are functions taking (since, until), with a view over a default window.

-- A file path relative to its project directory: the same repository checked out in different
-- places on different machines names the same file.
CREATE FUNCTION hookledger.rel_path(file_path text, project_dir text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(rtrim(project_dir, '/'), '') <> ''
                     AND starts_with(file_path, rtrim(project_dir, '/') || '/')
                THEN substr(file_path, length(rtrim(project_dir, '/')) + 2)
                ELSE file_path END
$$;

-- A text that should hold a whole number, as one (NULL otherwise): session_metrics values are text.
CREATE FUNCTION hookledger.as_bigint(value text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN value ~ '^\s*-?\d{1,18}\s*$' THEN trim(value)::bigint END
$$;

-- Tokens and their price, one row per assistant message of a transcript. THE source of every
-- token and cost figure: cost_usd is computed from tokens x model_prices (cost_source says so);
-- when ledgers record cost themselves, a migration redefines this view over those columns.
-- A message counts on the day its session started (transcript_usage has no time of its own).
CREATE VIEW hookledger.v_token_usage AS
SELECT l.host, l.person, l.project, u.ledger_id, u.session_id, u.message_key, u.model,
       (coalesce(s.started_at, l.first_sync_at) AT TIME ZONE 'UTC')::date AS day,
       coalesce(u.input_tokens, 0) AS input_tokens, coalesce(u.output_tokens, 0) AS output_tokens,
       coalesce(u.cache_creation_input_tokens, 0) AS cache_creation_input_tokens,
       coalesce(u.cache_read_input_tokens, 0) AS cache_read_input_tokens,
       p.model_prefix AS priced_as,
       (coalesce(u.input_tokens, 0) * p.input_usd_mtok
        + coalesce(u.output_tokens, 0) * p.output_usd_mtok
        + coalesce(u.cache_creation_input_tokens, 0) * coalesce(p.cache_write_5m_usd_mtok, p.input_usd_mtok * 1.25)
        + coalesce(u.cache_read_input_tokens, 0) * coalesce(p.cache_read_usd_mtok, p.input_usd_mtok * 0.1)
       ) / 1000000 AS cost_usd,
       'tokens x model_prices'::text AS cost_source
FROM hookledger.transcript_usage u
JOIN hookledger.ledgers l ON l.ledger_id = u.ledger_id
LEFT JOIN hookledger.sessions s ON s.ledger_id = u.ledger_id AND s.session_id = u.session_id
LEFT JOIN LATERAL (
    SELECT * FROM hookledger.model_prices p
    WHERE starts_with(u.model, p.model_prefix)
      AND p.effective_from <= (coalesce(s.started_at, l.first_sync_at) AT TIME ZONE 'UTC')::date
      AND p.min_prompt_tokens <= coalesce(u.input_tokens, 0) + coalesce(u.cache_creation_input_tokens, 0)
                                 + coalesce(u.cache_read_input_tokens, 0)
    ORDER BY length(p.model_prefix) DESC, p.min_prompt_tokens DESC, p.effective_from DESC
    LIMIT 1) p ON true;

-- Cost and tokens per day, person, project and model.
CREATE VIEW hookledger.v_daily_usage AS
SELECT day, person, project, model, count(DISTINCT (ledger_id, session_id)) AS sessions, count(*) AS messages,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_creation_input_tokens) AS cache_creation_input_tokens,
       sum(cache_read_input_tokens) AS cache_read_input_tokens,
       round(sum(cost_usd), 4) AS cost_usd, count(*) FILTER (WHERE priced_as IS NULL) AS unpriced_messages,
       min(cost_source) AS cost_source
FROM hookledger.v_token_usage
GROUP BY day, person, project, model;

-- Sessions across projects and people, with what happened in each.
CREATE VIEW hookledger.v_sessions AS
SELECT l.host, l.person, l.project, s.ledger_id, s.session_id, s.status, s.started_at, s.ended_at,
       s.last_event_at, s.end_reason, s.source, s.model, s.project_dir,
       round(extract(epoch FROM coalesce(s.ended_at, s.last_event_at) - s.started_at)::numeric, 1) AS duration_s,
       e.events, e.tool_calls, e.hook_errors,
       greatest(e.pre_compacts, e.compact_starts, coalesce(m.transcript_compactions, 0)) AS compactions,
       a.subagents, c.files_changed, r.errors, r.open_errors, v.gate_verdicts, v.gate_blocks,
       u.input_tokens, u.output_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens, u.cost_usd
FROM hookledger.sessions s
JOIN hookledger.ledgers l ON l.ledger_id = s.ledger_id
LEFT JOIN LATERAL (
    SELECT count(*) AS events,
           count(*) FILTER (WHERE e.event_type IN ('PostToolUse', 'PostToolUseFailure')) AS tool_calls,
           count(*) FILTER (WHERE e.outcome IN ('error', 'bad_input')) AS hook_errors,
           count(*) FILTER (WHERE e.event_type = 'PreCompact') AS pre_compacts,
           count(*) FILTER (WHERE e.event_type = 'SessionStart' AND e.payload_summary ->> 'source' = 'compact')
               AS compact_starts
    FROM hookledger.hook_events e WHERE e.ledger_id = s.ledger_id AND e.session_id = s.session_id) e ON true
LEFT JOIN LATERAL (
    SELECT max(hookledger.as_bigint(m.value)) AS transcript_compactions FROM hookledger.session_metrics m
    WHERE m.ledger_id = s.ledger_id AND m.session_id = s.session_id AND m.event_type = 'summary'
      AND m.key = 'transcript_compactions') m ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS subagents FROM hookledger.agent_registry a
    WHERE a.ledger_id = s.ledger_id AND a.session_id = s.session_id AND a.id NOT LIKE 'main:%') a ON true
LEFT JOIN LATERAL (
    SELECT count(DISTINCT c.file_path) AS files_changed FROM hookledger.file_claims c
    WHERE c.ledger_id = s.ledger_id AND c.session_id = s.session_id AND coalesce(c.phase, 'done') = 'done') c ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS errors,
           count(DISTINCT coalesce(r.signature, r.id::text)) FILTER (WHERE r.resolved_at IS NULL
               AND coalesce(r.resolution, '') NOT IN ('auto_fixed', 'abandoned')) AS open_errors
    FROM hookledger.error_log r WHERE r.ledger_id = s.ledger_id AND r.session_id = s.session_id) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) AS gate_verdicts, count(*) FILTER (WHERE v.decision = 'block') AS gate_blocks
    FROM hookledger.llm_verdicts v WHERE v.ledger_id = s.ledger_id AND v.session_id = s.session_id) v ON true
LEFT JOIN LATERAL (
    SELECT sum(t.input_tokens) AS input_tokens, sum(t.output_tokens) AS output_tokens,
           sum(t.cache_creation_input_tokens) AS cache_creation_input_tokens,
           sum(t.cache_read_input_tokens) AS cache_read_input_tokens, round(sum(t.cost_usd), 4) AS cost_usd
    FROM hookledger.v_token_usage t WHERE t.ledger_id = s.ledger_id AND t.session_id = s.session_id) u ON true;

-- Agents still running, on every machine, most recently heard from first. An agent whose
-- machine went quiet keeps its last word: quiet_for and synced_at say how old it is.
CREATE VIEW hookledger.v_live_agents AS
SELECT l.host, l.person, l.project, a.ledger_id, a.session_id, a.id AS agent_id, a.agent_type,
       a.task_description, a.spawn_time, coalesce(a.last_event_at, a.spawn_time) AS last_heard_at,
       now() - coalesce(a.last_event_at, a.spawn_time) AS quiet_for, s.model,
       (SELECT count(*) FROM hookledger.file_claims c
        WHERE c.ledger_id = a.ledger_id AND c.session_id = a.session_id AND c.agent_id = a.id
          AND coalesce(c.status, 'held') = 'held' AND c.released_at IS NULL) AS claims_held,
       l.last_sync_at AS synced_at
FROM hookledger.agent_registry a
JOIN hookledger.ledgers l ON l.ledger_id = a.ledger_id
LEFT JOIN hookledger.sessions s ON s.ledger_id = a.ledger_id AND s.session_id = a.session_id
WHERE a.status = 'running' AND coalesce(s.status, 'active') = 'active'
ORDER BY coalesce(a.last_event_at, a.spawn_time) DESC NULLS LAST;

-- Every completed file change, with who made it where, and its path inside the project.
CREATE VIEW hookledger.v_file_touches AS
SELECT l.project, hookledger.rel_path(c.file_path, coalesce(s.project_dir, l.project_dir)) AS path,
       coalesce(l.person, l.os_user, '?') AS person, coalesce(l.host, '?') AS host, c.ledger_id, c.session_id,
       c.agent_id, a.agent_type, c.operation, c.timestamp, c.file_path
FROM hookledger.file_claims c
JOIN hookledger.ledgers l ON l.ledger_id = c.ledger_id
LEFT JOIN hookledger.sessions s ON s.ledger_id = c.ledger_id AND s.session_id = c.session_id
LEFT JOIN hookledger.agent_registry a ON a.ledger_id = c.ledger_id AND a.id = c.agent_id
WHERE coalesce(c.phase, 'done') = 'done';

-- Files of one project changed by agents of more than one person or machine in [since, until).
CREATE FUNCTION hookledger.shared_files(since timestamptz, until timestamptz DEFAULT now())
RETURNS TABLE (project text, path text, people bigint, machines bigint, agents bigint, sessions bigint,
               changes bigint, first_at timestamptz, last_at timestamptz, person_list text[], host_list text[])
LANGUAGE sql STABLE AS $$
    SELECT t.project, t.path, count(DISTINCT t.person), count(DISTINCT t.host),
           count(DISTINCT (t.ledger_id, t.agent_id)), count(DISTINCT (t.ledger_id, t.session_id)), count(*),
           min(t.timestamp), max(t.timestamp),
           array_agg(DISTINCT t.person ORDER BY t.person), array_agg(DISTINCT t.host ORDER BY t.host)
    FROM hookledger.v_file_touches t
    WHERE t.timestamp >= since AND t.timestamp < until
    GROUP BY t.project, t.path
    HAVING count(DISTINCT t.person) > 1 OR count(DISTINCT t.host) > 1
    ORDER BY count(DISTINCT t.person) DESC, count(DISTINCT t.host) DESC, count(*) DESC, t.project, t.path
$$;

CREATE VIEW hookledger.v_shared_files_7d AS
SELECT * FROM hookledger.shared_files(now() - interval '7 days');

-- Errors grouped by what failed (the normalised command for Bash, tool:target otherwise),
-- across every ledger, most frequent first.
CREATE VIEW hookledger.v_error_signatures AS
SELECT coalesce(r.signature, r.tool_name, r.error_category) AS signature, r.error_category AS category,
       bool_or(r.command IS NOT NULL) AS is_command, count(*) AS failures,
       count(DISTINCT (r.ledger_id, r.session_id)) AS sessions, count(DISTINCT l.person) AS people,
       count(DISTINCT l.host) AS machines, count(DISTINCT l.project) AS projects,
       count(*) FILTER (WHERE r.resolved_at IS NULL AND coalesce(r.resolution, '') NOT IN ('auto_fixed', 'abandoned'))
           AS still_open,
       count(*) FILTER (WHERE r.resolution = 'auto_fixed') AS fixed, max(r.attempt_number) AS max_attempts,
       min(r.timestamp) AS first_at, max(r.timestamp) AS last_at,
       (array_agg(r.command ORDER BY r.timestamp DESC, r.id DESC) FILTER (WHERE r.command IS NOT NULL))[1] AS last_command,
       (array_agg(left(r.error_message, 500) ORDER BY r.timestamp DESC, r.id DESC))[1] AS last_error,
       array_agg(DISTINCT l.project ORDER BY l.project) AS project_list
FROM hookledger.error_log r
JOIN hookledger.ledgers l ON l.ledger_id = r.ledger_id
GROUP BY 1, 2
ORDER BY failures DESC, last_at DESC;

-- The failing shell commands alone.
CREATE VIEW hookledger.v_failing_commands AS
SELECT * FROM hookledger.v_error_signatures WHERE is_command;

-- Every TaskCompleted gate verdict, with its task's subject.
CREATE VIEW hookledger.v_gate_verdicts AS
SELECT l.host, l.person, l.project, v.ledger_id, v.session_id, v.id, v.timestamp, v.hook_event, v.task_id,
       t.subject AS task_subject, v.decision, v.reason, v.source, v.verdict_json
FROM hookledger.llm_verdicts v
JOIN hookledger.ledgers l ON l.ledger_id = v.ledger_id
LEFT JOIN hookledger.tasks t ON t.ledger_id = v.ledger_id AND t.session_id = v.session_id AND t.task_id = v.task_id;

-- Hook run time per machine and event in [since, until): nearest-rank percentiles, as the
-- ledger's own v_hook_latency computes them.
CREATE FUNCTION hookledger.hook_latency(since timestamptz DEFAULT '-infinity', until timestamptz DEFAULT 'infinity')
RETURNS TABLE (host text, event text, runs bigint, p50_ms bigint, p95_ms bigint, max_ms bigint, avg_ms numeric,
               errors bigint, last_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(l.host, '?'), e.event_type, count(*),
           percentile_disc(0.5) WITHIN GROUP (ORDER BY e.duration_ms),
           percentile_disc(0.95) WITHIN GROUP (ORDER BY e.duration_ms),
           max(e.duration_ms), round(avg(e.duration_ms), 1),
           count(*) FILTER (WHERE e.outcome IN ('error', 'bad_input')), max(e.timestamp)
    FROM hookledger.hook_events e
    JOIN hookledger.ledgers l ON l.ledger_id = e.ledger_id
    WHERE e.duration_ms IS NOT NULL AND e.timestamp >= since AND e.timestamp < until
    GROUP BY 1, 2
    ORDER BY 1, 2
$$;

CREATE VIEW hookledger.v_hook_latency_by_host AS
SELECT * FROM hookledger.hook_latency();
