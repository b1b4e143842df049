"""m013: what each hook run told Claude Code.

hook_events.outcome says *that* a run answered (`answered`: JSON on stdout; `blocked`: exit 2
or a PreToolUse deny) but not *what*: a continuity brief, an escalation, a conflict warning, a
denial's reason. `answer` keeps it, redacted, exactly as it went out: the stdout JSON of an
answer, or the stderr of an exit-2 block (what reaches the model). `hookledger brief` prints a
SessionStart's additionalContext from it; the report lists every answer.

The partial index keeps "the answers of a session" (a few rows among thousands) one seek.
"""


def migrate(db) -> None:
    if "answer" not in db["hook_events"].columns_dict:
        db["hook_events"].add_column("answer", str)
    db.execute("CREATE INDEX IF NOT EXISTS idx_hook_events_answers ON hook_events(session_id, id)"
               " WHERE answer IS NOT NULL")
