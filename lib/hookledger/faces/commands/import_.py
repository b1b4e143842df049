"""`hookledger import`: Claude Code transcripts into the ledger (lib/hookledger/history)."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import connect_ledger, resolve


@click.command(name="import")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--project", "project", type=click.Path(file_okay=False), default=None,
              help="Project directory (default: $CLAUDE_PROJECT_DIR or the current directory): its ledger, and its"
                   " transcripts under ~/.claude/projects/.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="Session database (default: $HOOKLEDGER_DB or PROJECT/.claude-session.db).")
@click.option("--all-projects", is_flag=True, help="Every project's transcripts under ~/.claude/projects/, into this ledger.")
@click.option("--since", default=None, metavar="DATE", help="Only transcripts written since this day (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Read and count everything, record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--progress", "force_progress", is_flag=True, help="Show progress on stderr even when it is not a terminal.")
@click.option("--quiet", is_flag=True, help="No progress and no report (the automatic import at SessionStart).")
@click.option("--previous-of", "previous_of", default=None, hidden=True,
              help="Only the newest session of the project other than this one (import.auto at SessionStart).")
@click.option("--after-pid", type=int, default=None, hidden=True,
              help="Start once this process has exited (the SessionStart hook that spawned this import).")
def command(paths: tuple[str, ...], project: str | None, db_path: str | None, all_projects: bool, since: str | None,
            dry_run: bool, as_json: bool, force_progress: bool, quiet: bool, previous_of: str | None,
            after_pid: int | None) -> None:
    """Import Claude Code transcripts: the project's (~/.claude/projects/<project path with / as
    ->/), every project's with --all-projects, or the files and folders given. Records sessions
    (start, end, models, cwd, git branch, Claude Code version), prompts, tool calls and their
    outcomes, errors (categories, signatures, attempts, resolutions as the hooks set them), files
    changed, subagents, compactions and tokens per response, marked as imported; merges with what
    the hooks recorded (nothing twice) and reads each file only from where the last import stopped.
    Bad lines and unknown records are skipped and counted."""
    import datetime

    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.output import echo_json, say
    from hookledger.faces.progress import starter
    from hookledger.history import locate
    from hookledger.history.run import import_transcripts
    from hookledger.hotpath.config import load

    if since is not None:
        try:
            datetime.date.fromisoformat(since)
        except ValueError:
            raise HookledgerError(f"--since {since!r}: expected a day, YYYY-MM-DD") from None
    if after_pid:
        from hookledger.hotpath.detached import wait_for_exit

        wait_for_exit(after_pid)  # its SessionStart transaction has committed by then
    project_dir, db = resolve(project, db_path)
    targets = list(paths) or (locate.all_project_folders() if all_projects else [locate.project_folder(project_dir)])
    if paths and all_projects:
        targets += locate.all_project_folders()
    if previous_of:
        files = locate.previous_session(locate.project_folder(project_dir), previous_of)
    else:
        files = [f for target in targets for f in locate.files_in(target)]
    conn = connect_ledger(db, must_exist=False)
    report = import_transcripts(conn, project_dir, files, config=load(project_dir), since=since, dry_run=dry_run,
                                progress=starter(force=force_progress, quiet=quiet, unit="KB", min_units=20_000))
    if quiet:
        return
    if as_json:
        echo_json({"ledger": db, "folders": targets, **report.as_dict()})
        return
    if not files:
        say(f"no transcripts found in {', '.join(targets)}", stderr=True)
    mb = report.bytes_read / 1e6
    rate = f", {mb / report.seconds:.1f} MB/s" if report.seconds > 0 and mb >= 1 else ""
    say(("would import" if dry_run else "imported") + f" {report.files_read} of {report.files} transcript file(s)"
        f" ({report.files_unchanged} unchanged), {mb:.1f} MB in {report.seconds:.1f} s{rate}")
    say(f"  sessions {report.sessions} ({report.new_sessions} new), tool calls {report.tool_calls}, errors"
        f" {report.errors}, file changes {report.file_changes}, prompts {report.prompts}, responses"
        f" {report.responses}, subagents {report.subagents}, compactions {report.compactions}")
    if report.bad_lines or report.unknown_records or report.incomplete_tails:
        say(f"  skipped: {report.bad_lines} bad line(s), {report.unknown_records} record(s) of an unknown type,"
            f" {report.incomplete_tails} incomplete last line(s)", style="yellow")
        for problem in report.problems[:20]:
            say(f"  {problem}", stderr=True)
