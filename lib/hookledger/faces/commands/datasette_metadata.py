"""`hookledger datasette-metadata`: metadata with canned queries for `datasette LEDGER -m FILE`."""

from __future__ import annotations

import json
import os

import click

from hookledger.faces.commands.common import ledger_options, resolve_upward


@click.command(name="datasette-metadata")
@ledger_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of stdout.")
def command(project: str | None, db_path: str | None, output: str | None) -> None:
    """Print Datasette metadata for the ledger: a description of each view and canned queries
    over them (sessions, a session's timeline, files and latency, live agents, files held,
    conflicts, open errors, failed paths, hook latency, slowest runs, hook problems).
    Use: hookledger datasette-metadata > metadata.json; datasette .claude-session.db -m metadata.json
    (Datasette is optional: pip install 'hookledger[datasette]')."""
    from hookledger.faces.datasette_meta import metadata

    _, db = resolve_upward(project, db_path)
    text = json.dumps(metadata(db), indent=2) + "\n"
    if output:
        tmp = f"{output}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, output)
        from hookledger.faces.output import say

        say(f"wrote {output}", stderr=True)
    else:
        click.echo(text, nl=False)
