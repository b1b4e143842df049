-- w006: what the transcript import and cost added to the ledger (m012, m014), so the warehouse
-- keeps every column: each prompt's text (redacted on the way out, as every value), the
-- `origin` mark of imported rows ('import'; NULL for rows a hook wrote), a session's cwd and
-- git branch, and what a response's price needs beyond the four token counters (the 5-minute /
-- 1-hour split of cache writes, when it was written, which agent, who recorded it).
-- Ledgers from before m012/m014 simply send none of these.
CREATE TABLE IF NOT EXISTS hookledger.prompts (
    ledger_id uuid NOT NULL,
    id bigint NOT NULL,
    session_id text NOT NULL,
    prompt_id text NOT NULL,
    agent_id text,
    created_at timestamptz,
    text text,
    chars bigint,
    truncated bigint,
    source text,
    PRIMARY KEY (ledger_id, id)
);
CREATE INDEX IF NOT EXISTS prompts_session ON hookledger.prompts (ledger_id, session_id, created_at);

ALTER TABLE hookledger.sessions ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.sessions ADD COLUMN IF NOT EXISTS cwd text;
ALTER TABLE hookledger.sessions ADD COLUMN IF NOT EXISTS git_branch text;
ALTER TABLE hookledger.agent_registry ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.agent_spawns ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.file_claims ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.error_log ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.context_snapshots ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.hook_events ADD COLUMN IF NOT EXISTS origin text;
ALTER TABLE hookledger.tasks ADD COLUMN IF NOT EXISTS origin text;

ALTER TABLE hookledger.transcript_usage ADD COLUMN IF NOT EXISTS cache_creation_5m_tokens bigint;
ALTER TABLE hookledger.transcript_usage ADD COLUMN IF NOT EXISTS cache_creation_1h_tokens bigint;
ALTER TABLE hookledger.transcript_usage ADD COLUMN IF NOT EXISTS timestamp timestamptz;
ALTER TABLE hookledger.transcript_usage ADD COLUMN IF NOT EXISTS agent_id text;
ALTER TABLE hookledger.transcript_usage ADD COLUMN IF NOT EXISTS source text;
