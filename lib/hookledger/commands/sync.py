"""`hookledger sync`: project the session ledger into Massu, flightdeck, Codewalkers or Team-X."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import click

from hookledger.commands.common import ledger_options, resolve
from hookledger.sync import ADAPTERS

PROGRESS_MIN_ROWS = 2000  # below this a sync takes a blink: no bar unless stderr is a terminal


def _progress(quiet: bool) -> Callable[[int, int], Callable[[int], None] | None]:
    """A factory for sync(): a click progress bar on stderr for large or interactive syncs."""
    def start(total: int, _: int) -> Callable[[int], None] | None:
        if quiet or total == 0 or (total < PROGRESS_MIN_ROWS and not sys.stderr.isatty()):
            return None
        bar = click.progressbar(length=total, label="Syncing", file=sys.stderr)
        bar.__enter__()
        seen = [0]

        def advance(n: int) -> None:
            bar.update(n)
            seen[0] += n
            if seen[0] >= total:
                bar.__exit__(None, None, None)
        return advance
    return start


def _summary(report: Any) -> str:
    lines = [f"{'Would write' if report.dry_run else 'Wrote'} to {report.target} at {report.target_db}:"]
    if report.created_tables:
        lines.append(f"  created tables: {', '.join(report.created_tables)}")
    tables = sorted(set(report.inserted) | set(report.updated) | set(report.skipped))
    for table in tables:
        parts = [f"{report.inserted.get(table, 0)} inserted", f"{report.updated.get(table, 0)} updated"]
        if report.skipped.get(table):
            parts.append(f"{report.skipped[table]} skipped")
        lines.append(f"  {table}: {', '.join(parts)}")
    if not tables:
        lines.append("  nothing new")
    return "\n".join(lines)


@click.command("sync")
@click.option("--to", "to", type=click.Choice(sorted(ADAPTERS)), required=True, help="Target system.")
@click.option("--target-db", "target_db", type=click.Path(dir_okay=False), required=True,
              help="The target's SQLite database (created with the documented tables if missing).")
@ledger_options
@click.option("--dry-run", is_flag=True, help="Report what would be written; change neither the target nor the cursors.")
@click.option("--quiet", is_flag=True, help="No progress bar and no summary (used by the automatic SessionEnd sync).")
def command(to: str, target_db: str, project: str | None, db_path: str | None, dry_run: bool, quiet: bool) -> None:
    """Sync the session ledger into a larger system's database (incremental and idempotent).

    Only new ledger rows are read (a cursor per target in the ledger), rows already in the target
    are never duplicated, the target's own rows are never changed or deleted, and secrets are
    redacted. See docs/sync.md for what goes where.
    """
    from hookledger.cli import HookledgerError
    from hookledger.config import load
    from hookledger.sync import sync
    from hookledger.sync.base import TargetLocked

    project_dir, ledger = resolve(project, db_path)
    if not os.path.exists(ledger):
        raise HookledgerError(f"no ledger at {ledger}")
    options = load(project_dir).get("sync", {}).get(to, {})
    try:
        report = sync(to, ledger, os.path.abspath(target_db), project_dir=project_dir, dry_run=dry_run,
                      config=options if isinstance(options, dict) else {}, progress=_progress(quiet))
    except TargetLocked as exc:
        raise HookledgerError(f"{target_db} is locked by another process: {exc}") from exc
    if not quiet:
        click.echo(_summary(report))
