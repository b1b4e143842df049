"""`hookledger report --html FILE`: one session as a self-contained HTML page."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, pick_session, resolve_upward


@click.command(name="report")
@ledger_options
@click.option("--session", "session_id", default=None, help="Session id or prefix (default: the latest).")
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False),
              help="Where to write the page (one file; opens offline in any browser).")
def command(project: str | None, db_path: str | None, session_id: str | None, html_path: str) -> None:
    """Write a session report: the timeline with one lane per agent, file changes, errors and
    compactions marked, a hook latency chart, and the tables behind them. No network needed."""
    from hookledger.faces.report.html import build
    from hookledger.store.safe_files import write_private

    _, db = resolve_upward(project, db_path)
    conn = connect_ledger(db)
    sid = pick_session(conn, session_id)
    page = build(conn, sid)
    write_private(html_path, page.encode("utf-8"))
    click.echo(f"wrote {html_path} (session {sid}, {len(page) // 1024} KB)")
