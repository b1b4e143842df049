"""m008: the Claude Code process behind each session.

SessionEnd often never arrives, so the next SessionStart closes out sessions left open; the
pid lets it leave alone a session that another Claude Code process in the same project is
still running.
"""


def migrate(db) -> None:
    if "claude_pid" not in db["sessions"].columns_dict:
        db["sessions"].add_column("claude_pid", int)
