"""`hookledger demo`: replay a recorded Claude Code session and print what was recorded."""

from __future__ import annotations

import click


@click.command(name="demo")
@click.option("--session", "sessions", multiple=True,
              help="Recorded session to replay (a_basic, b_subagent, c_compact, e_tasks, f_team); default all.")
@click.option("--project", type=click.Path(file_okay=False), default=None,
              help="Demo project to replay into (default: ~/hookledger-demo, replaced on each run).")
def command(sessions: tuple[str, ...], project: str | None) -> None:
    """Replay real recorded Claude Code sessions through the real hook executables into a
    demo project with hookledger's hooks registered (~/hookledger-demo), then print what was
    recorded and what hookledger told the model (a claim conflict between two subagents, an
    escalated error and its failed path, a compaction's brief, a task the quality gate
    refused), with the commands to explore it."""
    from hookledger.faces import demo
    from hookledger.faces.cli import HookledgerError

    try:
        result = demo.run(list(sessions) or None, project)
    except ValueError as exc:
        raise HookledgerError(str(exc)) from exc
    demo.show(result)
