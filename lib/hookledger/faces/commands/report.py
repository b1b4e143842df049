"""`hookledger report`: a session as one self-contained HTML page (or every session, with an index)."""

from __future__ import annotations

import os
import sys

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, pick_session, resolve_upward


def page_name(session_id: str) -> str:
    return f"hookledger-report-{session_id[:8]}.html"


@click.command(name="report")
@ledger_options
@click.option("--session", "session_id", default=None, help="Session id or prefix (default: the latest).")
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False, allow_dash=True),
              help="Where to write the page; `-` for stdout (default: hookledger-report-<session>.html here).")
@click.option("--html", "html_path", default=None, type=click.Path(dir_okay=False, allow_dash=True), hidden=True,
              help="Same as --output (kept for scripts written before -o).")
@click.option("--index", "index_dir", default=None, type=click.Path(file_okay=False),
              help="Write one page per session into this folder, and an index.html listing them.")
def command(project: str | None, db_path: str | None, session_id: str | None, output: str | None,
            html_path: str | None, index_dir: str | None) -> None:
    """Write a session report: facts (tokens, cache tokens, cost), the timeline with one lane per
    agent and a shape per kind of moment, the prompts, tasks with their verdicts (the gate's
    checks, the judge's reason), everything hookledger answered the model (briefs, escalations,
    conflict warnings, denials), agents, files, errors, compactions, every moment, and hook
    latency. One file, no network needed, readable from 700 px wide; written with mode 0600."""
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.output import say
    from hookledger.faces.report.html import build
    from hookledger.store.safe_files import write_private

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    if index_dir:
        if session_id or output or html_path:
            raise HookledgerError("--index writes every session: it takes no --session or --output")
        _write_index(conn, index_dir)
        return
    sid = pick_session(conn, session_id)
    page = build(conn, sid)
    target = output or html_path or page_name(sid)
    if target == "-":
        sys.stdout.write(page)
        sys.stdout.flush()
        return
    write_private(target, page.encode("utf-8"))
    say(f"wrote {target} (session {sid}, {len(page) // 1024} KB)")


def _write_index(conn, folder: str) -> None:
    from hookledger.faces.inspect.queries import sessions
    from hookledger.faces.output import say
    from hookledger.store.safe_files import write_private
    from hookledger.faces.report.html import build, render_index

    os.makedirs(folder, mode=0o700, exist_ok=True)
    found = sessions(conn)
    pages = {}
    for row in found:
        name = page_name(row["session_id"])
        write_private(os.path.join(folder, name), build(conn, row["session_id"]).encode("utf-8"))
        pages[row["session_id"]] = name
    index = os.path.join(folder, "index.html")
    write_private(index, render_index(found, pages).encode("utf-8"))
    say(f"wrote {len(pages)} session page(s) and {index}")
