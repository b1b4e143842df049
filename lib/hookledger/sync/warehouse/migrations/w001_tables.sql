-- w001: the ledger's tables, one warehouse table per ledger table under the same name.
-- Every row is keyed by (ledger_id, the row's primary key in its ledger). Types: ledger
-- timestamps (UTC text) -> timestamptz, JSON text -> jsonb, integers -> bigint, 0/1 flags ->
-- boolean. The sync copies the columns a ledger table and its warehouse table share, so a
-- later migration may add columns (ALTER TABLE ... ADD COLUMN) without touching the code.
-- ledger_id names a hookledger.ledgers row (the sync registers the ledger before its rows) but
-- is not declared a foreign key: the check per row was a quarter of the server's work in a
-- bulk load of hook_events.

CREATE TABLE hookledger.ledgers (
    ledger_id uuid PRIMARY KEY,          -- kept inside the ledger (project_state 'ledger_id'): survives renames
    host text,                           -- the machine that synced it last
    os_user text,
    person text,                         -- sync.postgres.person, $HOOKLEDGER_PERSON, git user.email, else os_user
    project text,                        -- git remote without scheme/credentials/.git, else the directory name
    project_dir text,
    git_remote text,
    ledger_path text,
    hookledger_version text,
    ledger_schema integer,               -- the ledger's PRAGMA user_version
    first_sync_at timestamptz NOT NULL DEFAULT now(),
    last_sync_at timestamptz,
    last_sync_rows bigint
);

CREATE TABLE hookledger.sync_state (
    ledger_id uuid NOT NULL REFERENCES hookledger.ledgers ON DELETE CASCADE,
    source_table text NOT NULL,
    last_rowid bigint NOT NULL DEFAULT 0,  -- rows up to here are in the warehouse (moved in the batch's transaction)
    touched_through bigint NOT NULL DEFAULT 0,  -- rows changed by hook runs up to this hook_events id were sent again
    rows_sent bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (ledger_id, source_table)
);

CREATE TABLE hookledger.sessions (
    ledger_id uuid NOT NULL,
    session_id text NOT NULL,
    project_dir text,
    started_at timestamptz,
    ended_at timestamptz,
    end_reason text,
    source text,
    model text,
    transcript_path text,
    last_event_at timestamptz,
    status text,
    claude_pid bigint,
    PRIMARY KEY (ledger_id, session_id)
);
CREATE INDEX sessions_started_at ON hookledger.sessions (started_at);
CREATE INDEX sessions_status ON hookledger.sessions (status);

CREATE TABLE hookledger.agent_registry (
    ledger_id uuid NOT NULL,
    id text NOT NULL,
    session_id text,
    agent_type text,
    task_description text,
    spawn_time timestamptz,
    end_time timestamptz,
    status text,
    files_changed jsonb,
    last_event_at timestamptz,
    unattributed boolean,
    tool_use_id text,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX agent_registry_session ON hookledger.agent_registry (ledger_id, session_id);
CREATE INDEX agent_registry_running ON hookledger.agent_registry (last_event_at) WHERE status = 'running';

CREATE TABLE hookledger.agent_spawns (
    ledger_id uuid NOT NULL,
    tool_use_id text NOT NULL,
    session_id text,
    parent_agent_id text,
    subagent_type text,
    description text,
    prompt text,
    requested_at timestamptz,
    agent_id text,
    status text,
    PRIMARY KEY (ledger_id, tool_use_id)
);
CREATE INDEX agent_spawns_session ON hookledger.agent_spawns (ledger_id, session_id);

CREATE TABLE hookledger.file_claims (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    agent_id text,
    file_path text,
    operation text,
    timestamp timestamptz,
    tool_use_id text,
    status text,
    phase text,
    released_at timestamptz,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX file_claims_session ON hookledger.file_claims (ledger_id, session_id);
CREATE INDEX file_claims_timestamp ON hookledger.file_claims (timestamp);
CREATE INDEX file_claims_file ON hookledger.file_claims (file_path);

CREATE TABLE hookledger.claim_conflicts (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    timestamp timestamptz,
    session_id text,
    file_path text,
    agent_id text,
    tool_name text,
    tool_use_id text,
    operation text,
    holder_agent_id text,
    holder_task text,
    holder_claimed_at timestamptz,
    policy text,
    answer text,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX claim_conflicts_session ON hookledger.claim_conflicts (ledger_id, session_id);

CREATE TABLE hookledger.error_log (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    timestamp timestamptz,
    task_id text,
    agent_id text,
    file_path text,
    error_category text,
    error_message text,
    attempt_number bigint,
    resolution text,
    signature text,
    tool_name text,
    command text,
    tool_use_id text,
    resolved_at timestamptz,
    escalation text,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX error_log_session ON hookledger.error_log (ledger_id, session_id);
CREATE INDEX error_log_signature ON hookledger.error_log (signature);
CREATE INDEX error_log_timestamp ON hookledger.error_log (timestamp);

CREATE TABLE hookledger.failed_paths (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    timestamp timestamptz,
    file_path text,
    approach text,
    reason_failed text,
    context text,
    still_relevant boolean,
    signature text,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX failed_paths_session ON hookledger.failed_paths (ledger_id, session_id);

CREATE TABLE hookledger.context_snapshots (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    timestamp timestamptz,
    snapshot_type text,
    content jsonb,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX context_snapshots_session ON hookledger.context_snapshots (ledger_id, session_id);

CREATE TABLE hookledger.llm_verdicts (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    timestamp timestamptz,
    hook_event text,
    task_id text,
    verdict_json jsonb,
    decision text,
    reason text,
    source text,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX llm_verdicts_session ON hookledger.llm_verdicts (ledger_id, session_id);
CREATE INDEX llm_verdicts_timestamp ON hookledger.llm_verdicts (timestamp);

CREATE TABLE hookledger.session_metrics (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    event_type text,
    key text,
    value text,
    timestamp timestamptz,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX session_metrics_session ON hookledger.session_metrics (ledger_id, session_id);

CREATE TABLE hookledger.tasks (
    ledger_id uuid NOT NULL,
    session_id text NOT NULL,
    task_id text NOT NULL,
    subject text,
    description text,
    status text,
    agent_id text,
    created_at timestamptz,
    updated_at timestamptz,
    completed_at timestamptz,
    status_reason text,
    PRIMARY KEY (ledger_id, session_id, task_id)
);

CREATE TABLE hookledger.transcript_usage (
    ledger_id uuid NOT NULL,
    session_id text NOT NULL,
    message_key text NOT NULL,
    model text,
    input_tokens bigint,
    output_tokens bigint,
    cache_creation_input_tokens bigint,
    cache_read_input_tokens bigint,
    PRIMARY KEY (ledger_id, session_id, message_key)
);

CREATE TABLE hookledger.transcript_cursors (
    ledger_id uuid NOT NULL,
    session_id text NOT NULL,
    path text NOT NULL,
    "offset" bigint,
    updated_at timestamptz,
    PRIMARY KEY (ledger_id, session_id, path)
);

CREATE TABLE hookledger.project_state (
    ledger_id uuid NOT NULL,
    key text NOT NULL,
    value jsonb,
    updated_at timestamptz,
    PRIMARY KEY (ledger_id, key)
);

-- hook_events last: the big one. BRIN on time (rows arrive in time order; tiny and cheap to
-- keep up during bulk loads), btree on the session for the per-session views.
CREATE TABLE hookledger.hook_events (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text,
    timestamp timestamptz,
    event_type text,
    dispatcher text,
    payload_summary jsonb,
    exit_code bigint,
    duration_ms bigint,
    event_uid text,
    agent_id text,
    tool_name text,
    tool_use_id text,
    outcome text,
    error text,
    replayed boolean,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX hook_events_session ON hookledger.hook_events (ledger_id, session_id);
CREATE INDEX hook_events_timestamp ON hookledger.hook_events USING brin (timestamp);
