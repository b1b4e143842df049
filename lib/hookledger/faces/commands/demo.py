"""`hookledger demo`: replay a recorded Claude Code session and print what was recorded."""

from __future__ import annotations

import click


@click.command(name="demo")
@click.option("--session", "sessions", multiple=True,
              help="Recorded session to replay (a_basic, b_subagent, c_compact, e_tasks); default all.")
@click.option("--project", type=click.Path(file_okay=False), default=None,
              help="Project directory to replay into (default: a new temporary directory).")
def command(sessions: tuple[str, ...], project: str | None) -> None:
    """Replay real recorded Claude Code sessions through the real hook executables into a
    fresh project, then print the events, agents, file claims, errors, snapshots and hook
    latency that were recorded."""
    from hookledger.faces import demo
    from hookledger.faces.cli import HookledgerError

    try:
        result = demo.run(list(sessions) or None, project)
    except ValueError as exc:
        raise HookledgerError(str(exc)) from exc
    click.echo(demo.report(result))
