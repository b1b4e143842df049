"""`hookledger brief`: the continuity brief exactly as the model got it."""

from __future__ import annotations

import sys

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, pick_session, resolve_upward
from hookledger.faces.inspect.answers import BRIEF_KINDS
from hookledger.faces.table import Col

LIST_COLS = [Col("injected_at", "injected", "time"), Col("session", "session", "id"), Col("kind", "kind", "word"),
             Col("chars", "chars", "num"), Col("first", "begins", "line")]


@click.command(name="brief")
@ledger_options
@click.option("--session", "session_id", default=None,
              help="The session the brief was given to (an id or prefix; default: the latest brief in the ledger).")
@click.option("--kind", type=click.Choice(BRIEF_KINDS), default=None,
              help="Only a brief given after a compaction, on resume, or at startup (about the previous session).")
@click.option("--list", "list_all", is_flag=True, help="List every brief given instead of printing one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the text, the session, the kind, the UTC time).")
def command(project: str | None, db_path: str | None, session_id: str | None, kind: str | None, list_all: bool,
            as_json: bool) -> None:
    """Print the continuity brief exactly as Claude Code injected it (the additionalContext of
    a SessionStart: after a compaction, on resume, or at startup about the previous session).
    Into a file or a pipe the text goes byte for byte as it was sent; on a terminal it is
    wrapped to fit. When and where it was injected goes to stderr."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.inspect.answers import briefs
    from hookledger.faces.inspect.format import local_time
    from hookledger.faces.output import echo_json, say
    from hookledger.faces.table import print_table

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id) if session_id else None
    found = briefs(conn, sid, kind)
    if list_all:
        if as_json:
            echo_json(found)
            return
        rows = [{**b, "session": b["session_id"][:8], "first": b["text"].splitlines()[0] if b["text"] else ""}
                for b in found]
        print_table(rows, LIST_COLS, empty=_none(sid, kind))
        return
    if not found:
        raise HookledgerError(_none(sid, kind))
    brief = found[0]
    if as_json:
        echo_json(brief)
        return
    how = "exactly as sent" if brief["exact"] else "rebuilt from the compaction's snapshot (sent before answers were kept)"
    say(f"brief injected into session {brief['session_id'][:8]} at {local_time(brief['injected_at'])}"
        f" (SessionStart {brief['kind']}), {brief['chars']} characters, {how}:", stderr=True, style="dim")
    if sys.stdout.isatty():  # for reading: wrapped at the terminal's width, words and lines as sent
        from rich.text import Text

        from hookledger.faces.output import console

        console().print(Text(brief["text"]))
        return
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    if out is not None:  # for a file or a pipe: the bytes that went to Claude Code, nothing added
        sys.stdout.flush()
        out.write(brief["text"].encode("utf-8"))
        out.flush()
    else:
        sys.stdout.write(brief["text"])


def _none(session_id: str | None, kind: str | None) -> str:
    where = f" into session {session_id[:8]}" if session_id else ""
    what = f"{kind} brief" if kind else "brief"
    return (f"no {what} was injected{where}: hookledger gives one at SessionStart after a compaction, on resume,"
            " and at startup when the previous session left something open (errors, failed paths, tasks, agents)")
