"""m012: what was asked, not only how long it was.

One row per prompt, keyed by (session, prompt id) so the hook and a transcript import of
the same session meet on one row: UserPromptSubmit writes it (source 'hook'), `hookledger
import` fills what the hooks missed (source 'import'). `text` is redacted and capped at
hookledger.handlers.prompts.MAX_PROMPT_CHARS (`truncated` says so); NULL with
`capture.prompts: false`, which keeps only `chars`.
"""


def migrate(db) -> None:
    db.execute("""
CREATE TABLE IF NOT EXISTS prompts (
    id INTEGER PRIMARY KEY,           -- rowid: sync cursors walk it
    session_id TEXT NOT NULL,
    prompt_id TEXT NOT NULL,          -- Claude Code's prompt_id (the transcript's promptId)
    agent_id TEXT,                    -- set when the prompt went to a subagent
    created_at TEXT NOT NULL,
    text TEXT,                        -- redacted, capped; NULL when capture.prompts is false
    chars INTEGER NOT NULL,           -- length of the prompt as typed
    truncated INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'hook',  -- 'hook' | 'import'
    UNIQUE (session_id, prompt_id)
)""")
    db.execute("CREATE INDEX IF NOT EXISTS idx_prompts_session_time ON prompts(session_id, created_at)")
