"""`hookledger prune`: delete old logs and cap the ledger's size, keeping state still in use."""

from __future__ import annotations

import dataclasses
import json

import click

from hookledger.faces.commands.common import connect_ledger, ledger_options, resolve_upward


PROGRESS_FROM = 100  # sessions to expire, or KB to shed, before a terminal shows a bar unasked


def _describe(result, policy) -> list[str]:
    from hookledger.faces.inspect.format import human_size, local_time

    verb = "would delete" if result.dry_run else "deleted"
    lines = [f"ledger {result.db}"]
    if result.cutoff:
        lines.append(f"older than {policy.older_than_days:g} days (last heard from before {local_time(result.cutoff)}):"
                     f" {len(result.expired_sessions)} session(s) expired")
    if policy.max_bytes is not None and result.cap_estimate is not None:
        lines.append(f"size cap {human_size(policy.max_bytes)}: {_cap_estimate(result.cap_estimate)}")
    elif policy.max_bytes is not None:
        state = "under it" if result.cap_reached else "NOT reached: what is left is state in use or live sessions"
        lines.append(f"size cap {human_size(policy.max_bytes)}: {state}")
    rows = ", ".join(f"{t} {n}" for t, n in sorted(result.deleted.items())) or "nothing"
    lines.append(f"{verb}: {rows}")
    if result.kept:
        lines.append("kept, still in use: " + ", ".join(f"{t} {n}" for t, n in sorted(result.kept.items())))
    size = f"size {human_size(result.size_before)}"
    if not result.dry_run:
        size += f" -> {human_size(result.size_after)}" + (" (VACUUM)" if result.vacuumed else
                                                          " (no VACUUM: freed pages are reused by new rows)")
    lines.append(size)
    return lines


def _cap_estimate(found: dict) -> str:
    """What the size pass would then delete, from faces/prune_estimate (a dry run)."""
    from hookledger.faces.inspect.format import human_size

    left = f"after the age pass about {human_size(found['live_bytes_after_age'])} of data would be left"
    if not found["hook_events"] and not found["sessions"]:
        return left + ", under the cap: it would delete nothing more"
    parts = [f"about {found['hook_events']} more hook runs (the oldest outside the active and latest sessions)"]
    if found["sessions"]:
        parts.append(f"the logs of about {found['sessions']} more sessions, oldest first")
    tail = "" if found["reaches_cap"] else "; even then the cap would NOT be reached (state in use, live sessions)"
    return f"{left}; the cap would then delete {' and '.join(parts)}{tail}"


@click.command(name="prune")
@ledger_options
@click.option("--older-than", "days", type=click.FloatRange(min=0), default=None, metavar="DAYS",
              help="Expire sessions last heard from more than DAYS ago (default: retention.days, 90).")
@click.option("--max-size", "max_mb", type=click.FloatRange(min=0), default=None, metavar="MB",
              help="Then delete the oldest logs until the data fits in MB (default: retention.max_mb, 200; 0 = no cap).")
@click.option("--no-vacuum", is_flag=True, help="Skip VACUUM (the file keeps its size; freed pages are reused).")
@click.option("--dry-run", is_flag=True, help="Count what the age pass would delete and estimate what the size cap"
              " would then delete; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
@click.option("--progress", "force_progress", is_flag=True,
              help="Show progress on stderr even when it is not a terminal (shown on a terminal for large prunes).")
@click.option("--quiet", is_flag=True, help="Print nothing (used by the automatic prune at SessionStart).")
@click.option("--after-pid", type=int, default=None, hidden=True,
              help="Start once this process has exited (the SessionStart hook that spawned this prune).")
def command(project: str | None, db_path: str | None, days: float | None, max_mb: float | None,
            no_vacuum: bool, dry_run: bool, as_json: bool, force_progress: bool, quiet: bool,
            after_pid: int | None) -> None:
    """Delete old logs so the ledger stays bounded. Logs are hook runs, conflicts, verdicts,
    snapshots, metrics, finished claims, closed errors, cleared failed paths; state still in use
    is never deleted: active sessions and the latest one, running agents and their claims,
    open errors, still-relevant failed paths, unfinished tasks. Short transactions, so it is
    safe while Claude Code runs; VACUUM last. Defaults from .claude/hookledger.json
    {"retention": {"days": 90, "max_mb": 200}}."""
    from hookledger.hotpath import config
    from hookledger.faces import retention
    from hookledger.faces.progress import starter
    from hookledger.hotpath.detached import wait_for_exit

    if after_pid:
        wait_for_exit(after_pid)  # its SessionStart transaction has committed by then
    project_dir, db = resolve_upward(project, db_path)
    policy = retention.policy_from_config(config.load(project_dir))
    if days is not None:
        policy.older_than_days = days
    if max_mb is not None:
        policy.max_bytes = int(max_mb * 1024 * 1024) if max_mb > 0 else None
    policy.vacuum, policy.dry_run = not no_vacuum, dry_run
    conn = connect_ledger(db)
    result = retention.prune(conn, db, policy,
                             progress=starter(force=force_progress, quiet=quiet, unit="", min_units=PROGRESS_FROM))
    if dry_run and policy.max_bytes is not None:
        from hookledger.faces.prune_estimate import estimate

        result.cap_estimate = estimate(conn, result, policy.max_bytes)
    if quiet:
        return
    if as_json:
        from hookledger.faces.output import echo_json

        echo_json(dataclasses.asdict(result))
    else:
        from hookledger.faces.output import say

        for line in _describe(result, policy):
            say(line)
