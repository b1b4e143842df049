"""m011: flat at a million events: counters kept as events are recorded, indexes every hook
query needs, views that cost the same whatever the size of the rest of the ledger.

Counters (kept by triggers on hook_events, so every writer keeps them right: the hooks, a
replay from the spool, prune deleting rows, a hand-made edit; backfilled here once):
- session_totals: one row per session: hook events, tool calls, hook errors, PreCompact runs,
  SessionStart(compact) runs, first and last event. Later migrations may add columns
  (e.g. token and cost totals) kept the same way.
- session_tool_calls: per session and tool, PostToolUse + PostToolUseFailure runs.
- hook_latency_counts: per hook event and duration_ms, runs, handler errors and the last run:
  the whole ledger's latency percentiles are exact from it, without sorting hook_events.

Indexes, so each hook query is a lookup bounded by session, agent, tool call or file (kept to
what hooks need: on a big ledger each new index on hook_events is a long one-time build, and
a cost on every hook run):
- hook_events: idx_hook_events_type is dropped (by type across every session: it drew the
  planner into walks over the whole ledger; every query names the session).
- context_snapshots: idx_snapshots_session becomes (session_id, snapshot_type) (the planner
  preferred idx_snapshots_type, walking every session's post_compact snapshots).
- sessions: by start (listing newest first stops after the rows shown) and by last heard from
  (SessionStart's previous session).
- agent_registry: idx_agent_session becomes (session_id, status); file_claims: idx_claims_session
  becomes (session_id, file_path) (a session's distinct files from the index alone); error_log: idx_errors_open
  (session_id, resolved_at) (a session's open errors); claim_conflicts by session and by either
  agent; failed_paths by (signature, still_relevant), (file_path, still_relevant) and a
  new `approach_key` column (the approach as compared for "the same approach",
  store.keys.approach_key), so recording a failed path no longer reads every still-relevant one.

Views redefined (same columns; docs/views.md):
- v_sessions reads its hook counts from session_totals (it ran correlated counts over
  hook_events for every session listed); its other counts read indexes only.
- v_hook_latency is computed from hook_latency_counts.
- v_hook_latency_by_session: one session's figures read only that session's runs: window
  functions only, partitioned by session, so a session filter reaches hook_events (it could not
  pass the GROUP BY over the window query before).
"""

from hookledger.store.ddl import execute_statements
from hookledger.store.keys import approach_key

TOOL_EVENTS = "('PostToolUse', 'PostToolUseFailure')"
HOOK_ERRORS = "('error', 'bad_input')"

TABLES = """
CREATE TABLE IF NOT EXISTS session_totals (
    session_id TEXT PRIMARY KEY,
    events INTEGER NOT NULL DEFAULT 0,          -- hook_events rows
    tool_calls INTEGER NOT NULL DEFAULT 0,      -- PostToolUse + PostToolUseFailure runs
    hook_errors INTEGER NOT NULL DEFAULT 0,     -- runs with outcome error or bad_input
    pre_compacts INTEGER NOT NULL DEFAULT 0,    -- PreCompact runs
    compact_starts INTEGER NOT NULL DEFAULT 0,  -- SessionStart runs with source compact
    first_event_at TEXT,
    last_event_at TEXT
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS session_tool_calls (
    session_id TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0,           -- PostToolUse + PostToolUseFailure runs of the tool
    PRIMARY KEY (session_id, tool_name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS hook_latency_counts (
    event_type TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    runs INTEGER NOT NULL DEFAULT 0,            -- hook runs of this event that took duration_ms
    errors INTEGER NOT NULL DEFAULT 0,          -- of which outcome error or bad_input
    last_at TEXT,                               -- the latest such run
    PRIMARY KEY (event_type, duration_ms)
) WITHOUT ROWID;
"""


def _compact_start(row: str) -> str:
    return (f"(CASE WHEN {row}.event_type = 'SessionStart' AND json_valid({row}.payload_summary)"
            f" THEN coalesce(json_extract({row}.payload_summary, '$.source') = 'compact', 0) ELSE 0 END)")


def _counters(row: str) -> list[tuple[str, dict[str, str], dict[str, str], dict[str, str], str]]:
    """Per counter table: (table, key column -> value, counter -> increment, kept-on-insert
    column -> (value, how to merge), condition) for one hook_events row (NEW or OLD)."""
    return [
        ("session_totals", {"session_id": f"{row}.session_id"},
         {"events": "1", "tool_calls": f"coalesce({row}.event_type IN {TOOL_EVENTS}, 0)",
          "hook_errors": f"coalesce({row}.outcome IN {HOOK_ERRORS}, 0)",
          "pre_compacts": f"coalesce({row}.event_type = 'PreCompact', 0)", "compact_starts": _compact_start(row)},
         {"first_event_at": f"{row}.timestamp", "last_event_at": f"{row}.timestamp"},
         f"{row}.session_id IS NOT NULL"),
        ("session_tool_calls", {"session_id": f"{row}.session_id", "tool_name": f"{row}.tool_name"},
         {"calls": "1"}, {},
         f"{row}.session_id IS NOT NULL AND {row}.tool_name IS NOT NULL AND {row}.event_type IN {TOOL_EVENTS}"),
        ("hook_latency_counts", {"event_type": f"{row}.event_type", "duration_ms": f"{row}.duration_ms"},
         {"runs": "1", "errors": f"coalesce({row}.outcome IN {HOOK_ERRORS}, 0)"}, {"last_at": f"{row}.timestamp"},
         f"{row}.event_type IS NOT NULL AND {row}.duration_ms IS NOT NULL"),
    ]


_MERGE = {"first_event_at": "min", "last_event_at": "max", "last_at": "max"}


def _add(row: str) -> str:
    """Statements counting hook_events row `row` in."""
    out = []
    for table, keys, counters, kept, condition in _counters(row):
        columns = [*keys, *counters, *kept]
        values = [*keys.values(), *counters.values(), *kept.values()]
        sets = [f"{c} = {c} + excluded.{c}" for c in counters]
        sets += [f"{c} = coalesce({_MERGE[c]}({c}, excluded.{c}), {c}, excluded.{c})" for c in kept]
        out.append(f"INSERT INTO {table} ({', '.join(columns)})\n"
                   f"        SELECT {', '.join(values)}\n        WHERE {condition}\n"
                   f"        ON CONFLICT({', '.join(keys)}) DO UPDATE SET {', '.join(sets)};")
    return "\n    ".join(out)


def _remove(row: str) -> str:
    """Statements counting hook_events row `row` out (a row whose counters reach 0 goes)."""
    out = []
    for table, keys, counters, _, condition in _counters(row):
        where = " AND ".join(f"{k} = {v}" for k, v in keys.items()) + f" AND {condition}"
        first = next(iter(counters))
        out.append(f"UPDATE {table} SET {', '.join(f'{c} = {c} - {v}' for c, v in counters.items())}\n"
                   f"        WHERE {where};")
        out.append(f"DELETE FROM {table} WHERE {where} AND {first} <= 0;")
    return "\n    ".join(out)


COUNTED = "session_id, event_type, tool_name, outcome, duration_ms, payload_summary, timestamp"
TRIGGERS = f"""
CREATE TRIGGER IF NOT EXISTS hook_events_counted_insert AFTER INSERT ON hook_events BEGIN
    {_add("NEW")}
END;

CREATE TRIGGER IF NOT EXISTS hook_events_counted_delete AFTER DELETE ON hook_events BEGIN
    {_remove("OLD")}
END;

CREATE TRIGGER IF NOT EXISTS hook_events_counted_update AFTER UPDATE OF {COUNTED} ON hook_events BEGIN
    {_remove("OLD")}
    {_add("NEW")}
END;
"""

BACKFILL = f"""
INSERT INTO session_totals (session_id, events, tool_calls, hook_errors, pre_compacts, compact_starts,
                            first_event_at, last_event_at)
SELECT session_id, count(*), sum(coalesce(event_type IN {TOOL_EVENTS}, 0)), sum(coalesce(outcome IN {HOOK_ERRORS}, 0)),
       sum(coalesce(event_type = 'PreCompact', 0)), sum({_compact_start("hook_events")}), min(timestamp), max(timestamp)
FROM hook_events WHERE session_id IS NOT NULL GROUP BY session_id;

INSERT INTO session_tool_calls (session_id, tool_name, calls)
SELECT session_id, tool_name, count(*) FROM hook_events
WHERE session_id IS NOT NULL AND tool_name IS NOT NULL AND event_type IN {TOOL_EVENTS}
GROUP BY session_id, tool_name;

INSERT INTO hook_latency_counts (event_type, duration_ms, runs, errors, last_at)
SELECT event_type, duration_ms, count(*), sum(coalesce(outcome IN {HOOK_ERRORS}, 0)), max(timestamp) FROM hook_events
WHERE event_type IS NOT NULL AND duration_ms IS NOT NULL GROUP BY event_type, duration_ms;
"""

INDEXES = """
DROP INDEX IF EXISTS idx_hook_events_type;

DROP INDEX IF EXISTS idx_snapshots_session;
CREATE INDEX idx_snapshots_session ON context_snapshots(session_id, snapshot_type);

CREATE INDEX IF NOT EXISTS idx_sessions_started ON sessions(started_at);
CREATE INDEX IF NOT EXISTS idx_sessions_last_heard ON sessions(coalesce(last_event_at, started_at));

DROP INDEX IF EXISTS idx_agent_session;
CREATE INDEX idx_agent_session ON agent_registry(session_id, status);

DROP INDEX IF EXISTS idx_claims_session;
CREATE INDEX idx_claims_session ON file_claims(session_id, file_path);

CREATE INDEX IF NOT EXISTS idx_errors_open ON error_log(session_id, resolved_at);

CREATE INDEX IF NOT EXISTS idx_conflicts_session ON claim_conflicts(session_id);
CREATE INDEX IF NOT EXISTS idx_conflicts_agent ON claim_conflicts(agent_id);
CREATE INDEX IF NOT EXISTS idx_conflicts_holder ON claim_conflicts(holder_agent_id);

DROP INDEX IF EXISTS idx_failed_signature;
CREATE INDEX idx_failed_signature ON failed_paths(signature, still_relevant);
CREATE INDEX IF NOT EXISTS idx_failed_file ON failed_paths(file_path, still_relevant);
CREATE INDEX IF NOT EXISTS idx_failed_approach ON failed_paths(approach_key, file_path) WHERE still_relevant = 1;
"""

VIEWS = f"""
DROP VIEW IF EXISTS v_sessions;
CREATE VIEW v_sessions AS
SELECT s.session_id, s.status, s.started_at, s.ended_at, s.end_reason, s.source, s.model,
       s.last_event_at, s.project_dir,
       coalesce(t.events, 0) AS events,
       (SELECT count(*) FROM agent_registry a WHERE a.session_id = s.session_id)
           - (SELECT count(*) FROM agent_registry a WHERE a.id = 'main:' || s.session_id) AS subagents,
       (SELECT count(DISTINCT c.file_path) FROM file_claims c WHERE c.session_id = s.session_id) AS files_changed,
       (SELECT count(*) FROM error_log r WHERE r.session_id = s.session_id) AS errors,
       max(coalesce(t.pre_compacts, 0), coalesce(t.compact_starts, 0),
           coalesce((SELECT CAST(m.value AS INTEGER) FROM session_metrics m WHERE m.session_id = s.session_id
               AND m.event_type = 'summary' AND m.key = 'transcript_compactions'), 0)) AS compactions,
       (SELECT count(DISTINCT coalesce(r.signature, CAST(r.id AS TEXT))) FROM error_log r
           WHERE r.session_id = s.session_id AND r.resolved_at IS NULL
           AND coalesce(r.resolution, '') NOT IN ('auto_fixed', 'abandoned')) AS open_errors,
       coalesce(t.tool_calls, 0) AS tool_calls,
       coalesce(t.hook_errors, 0) AS hook_errors,
       round((julianday(coalesce(s.ended_at, s.last_event_at)) - julianday(s.started_at)) * 86400, 1) AS duration_s
FROM sessions s LEFT JOIN session_totals t ON t.session_id = s.session_id;

DROP VIEW IF EXISTS v_hook_latency;
CREATE VIEW v_hook_latency AS
WITH counted AS (
    SELECT event_type, duration_ms, runs, errors, last_at,
           sum(runs) OVER (PARTITION BY event_type ORDER BY duration_ms) AS up_to,
           sum(runs) OVER (PARTITION BY event_type) AS n
    FROM hook_latency_counts WHERE runs > 0
)
SELECT event_type AS event, max(n) AS runs,
       min(CASE WHEN up_to >= (n * 50 + 99) / 100 THEN duration_ms END) AS p50_ms,
       min(CASE WHEN up_to >= (n * 95 + 99) / 100 THEN duration_ms END) AS p95_ms,
       max(duration_ms) AS max_ms, round(sum(duration_ms * runs) * 1.0 / max(n), 1) AS avg_ms,
       sum(errors) AS errors, max(last_at) AS last_at
FROM counted
GROUP BY event_type;

DROP VIEW IF EXISTS v_hook_latency_by_session;
CREATE VIEW v_hook_latency_by_session AS
SELECT session_id, event, runs, p50_ms, p95_ms, max_ms, avg_ms, errors, last_at FROM (
    SELECT session_id, event_type AS event, n AS runs, rn,
           max(CASE WHEN rn = (n * 50 + 99) / 100 THEN duration_ms END) OVER p AS p50_ms,
           max(CASE WHEN rn = (n * 95 + 99) / 100 THEN duration_ms END) OVER p AS p95_ms,
           max(duration_ms) OVER p AS max_ms, round(avg(duration_ms) OVER p, 1) AS avg_ms,
           sum(outcome IN {HOOK_ERRORS}) OVER p AS errors, max(timestamp) OVER p AS last_at
    FROM (SELECT session_id, event_type, duration_ms, outcome, timestamp,
                 row_number() OVER (PARTITION BY session_id, event_type ORDER BY duration_ms) AS rn,
                 count(*) OVER (PARTITION BY session_id, event_type) AS n
          FROM hook_events WHERE duration_ms IS NOT NULL)
    WINDOW p AS (PARTITION BY session_id, event_type)
) WHERE rn = 1;
"""


def _approach_keys(conn) -> None:
    columns = {r[1] for r in conn.execute("PRAGMA table_info(failed_paths)")}
    if "approach_key" not in columns:
        conn.execute("ALTER TABLE failed_paths ADD COLUMN approach_key TEXT")
    rows = conn.execute("SELECT id, approach FROM failed_paths WHERE approach IS NOT NULL").fetchall()
    conn.executemany("UPDATE failed_paths SET approach_key = ? WHERE id = ?",
                     [(approach_key(approach), row_id) for row_id, approach in rows])


def _prerequisites(db) -> None:
    """The indexes below name tables and columns m003 and m004 add. Migrations may land in any
    order (they are recorded by name): where this one comes first, those two run now (both
    only add what is missing, so their own run later changes nothing)."""
    from hookledger.store.migrations import m003_agents_claims, m004_errors_snapshots_metrics

    tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "claim_conflicts" not in tables or "released_at" not in db["file_claims"].columns_dict:
        m003_agents_claims.migrate(db)
    if "resolved_at" not in db["error_log"].columns_dict or "signature" not in db["failed_paths"].columns_dict:
        m004_errors_snapshots_metrics.migrate(db)


def migrate(db) -> None:
    conn = db.conn
    _prerequisites(db)
    execute_statements(conn, TABLES)
    _approach_keys(conn)
    execute_statements(conn, INDEXES)  # idx_hook_events_type gone first: the backfill reads in order
    execute_statements(conn, BACKFILL)  # one pass per counter table (about 5 s at a million runs)
    execute_statements(conn, TRIGGERS)
    execute_statements(conn, VIEWS)
