"""`hookledger sync`: project the session ledger into Massu, flightdeck, Codewalkers or Team-X,
or copy it into the team's PostgreSQL warehouse (`--to postgres`)."""

from __future__ import annotations

import os
from typing import Any

import click

from hookledger.faces.commands.common import ledger_options, resolve
from hookledger.sync import ADAPTERS, WAREHOUSE


def _summary(report: Any) -> str:
    lines = [f"{'Would write' if report.dry_run else 'Wrote'} to {report.target} at {report.target_db}:"]
    if report.created_tables:
        lines.append(f"  created tables: {', '.join(report.created_tables)}")
    if getattr(report, "migrations", None):
        lines.append(f"  {'would apply' if report.dry_run else 'applied'} warehouse migrations:"
                     f" {', '.join(report.migrations)}")
    tables = sorted(set(report.inserted) | set(report.updated) | set(report.skipped))
    for table in tables:
        parts = [f"{report.inserted.get(table, 0)} inserted", f"{report.updated.get(table, 0)} updated"]
        if report.skipped.get(table):
            parts.append(f"{report.skipped[table]} skipped")
        lines.append(f"  {table}: {', '.join(parts)}")
    if not tables:
        lines.append("  nothing new")
    for what in getattr(report, "not_synced", []):
        lines.append(f"  not synced: {what}")
    return "\n".join(lines)


@click.command("sync")
@click.option("--to", "to", type=click.Choice(sorted([*ADAPTERS, WAREHOUSE])), required=True, help="Target system.")
@click.option("--target-db", "target_db", required=True,
              help="The target's SQLite database (created with the documented tables if missing); for postgres,"
                   " a libpq URL postgresql://USER@HOST:PORT/DB[?sslmode=...] (password from PGPASSWORD,"
                   " ~/.pgpass or a service file rather than the URL).")
@ledger_options
@click.option("--dry-run", is_flag=True, help="Report what would be written; change neither the target nor the cursors.")
@click.option("--progress", "force_progress", is_flag=True,
              help="Show progress on stderr even when it is not a terminal (shown on a terminal for large syncs).")
@click.option("--wait", "wait", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="SECONDS",
              help="How long to wait for a target another process holds locked (backoff, a note on stderr),"
                   " before failing with the lock's holder; nothing half-written either way.")
@click.option("--quiet", is_flag=True, help="No progress and no summary (used by the automatic SessionEnd sync).")
@click.option("--after-pid", type=int, default=None, hidden=True,
              help="Start once this process has exited (the SessionEnd hook that spawned this sync).")
def command(to: str, target_db: str, project: str | None, db_path: str | None, dry_run: bool, force_progress: bool,
            wait: float, quiet: bool, after_pid: int | None) -> None:
    """Sync the session ledger into a larger system's database (incremental and idempotent).

    Only new ledger rows are read (a cursor per target in the ledger), rows already in the target
    are never duplicated, the target's own rows are never deleted nor changed (but an expired file
    lock, free by the server's own rule, may be taken), and secrets are redacted. See docs/sync.md
    for what goes where. `--to postgres` copies every ledger table into the team warehouse
    (schema `hookledger`, cursors kept in the warehouse, changed rows carried): docs/warehouse.md.
    """
    from hookledger.faces.cli import HookledgerError
    from hookledger.hotpath.config import load
    from hookledger.hotpath.detached import wait_for_exit

    if after_pid:
        wait_for_exit(after_pid)  # its SessionEnd transaction has committed by then
    project_dir, ledger = resolve(project, db_path)
    if not os.path.exists(ledger):
        raise HookledgerError(f"no ledger at {ledger}")
    options = load(project_dir).get("sync", {}).get(to, {})
    if to == WAREHOUSE:
        report = _warehouse(ledger, target_db, project_dir, options if isinstance(options, dict) else {},
                            dry_run=dry_run, force_progress=force_progress, quiet=quiet)
        if not quiet:
            _say(_summary(report))
        return
    from hookledger.faces.progress import starter
    from hookledger.sync import sync
    from hookledger.sync.base import TargetLocked

    if not project and not os.environ.get("CLAUDE_PROJECT_DIR"):
        project_dir = _ledger_project(ledger)  # not the directory the sync is run from
        options = load(project_dir).get("sync", {}).get(to, {})

    try:
        report = sync(to, ledger, os.path.abspath(target_db), project_dir=project_dir, dry_run=dry_run,
                      config=options if isinstance(options, dict) else {},
                      progress=starter(force=force_progress, quiet=quiet),
                      wait=wait, notify=None if quiet else _note)
    except TargetLocked as exc:
        raise HookledgerError(f"{target_db} is locked by another process: {exc}") from exc
    if not quiet:
        _say(_summary(report))


def _ledger_project(ledger: str) -> str:
    """The project the ledger records (sync.source.Ledger.project_dir): it names the project in
    the targets (flightdeck's project_id, Team-X's company) and holds the sync options."""
    from hookledger.sync.source import Ledger

    opened = Ledger.open(ledger)
    try:
        return opened.project_dir()
    finally:
        opened.close()


def _note(text: str) -> None:
    """A line on stderr while the sync waits (stdout carries only the summary)."""
    click.echo(f"hookledger sync: {text}", err=True)


def _say(summary: str) -> None:
    from hookledger.faces.output import say

    for line in summary.splitlines():
        say(line)


def _warehouse(ledger: str, url: str, project_dir: str, options: dict[str, Any], *, dry_run: bool,
               force_progress: bool, quiet: bool) -> Any:
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.progress import starter
    from hookledger.sync.warehouse import WarehouseError
    from hookledger.sync.warehouse.run import stderr_notify, sync

    try:
        return sync(ledger, url, project_dir=project_dir, dry_run=dry_run, config=options,
                    progress=starter(force=force_progress, quiet=quiet),
                    notify=None if quiet else stderr_notify)
    except WarehouseError as exc:
        raise HookledgerError(str(exc)) from exc
