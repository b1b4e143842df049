"""`hookledger doctor`: check that the hooks are registered and recording, and the ledger is healthy."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import ledger_options, resolve_upward
from hookledger.faces.table import Col

MARK = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}
COLS = [Col("mark", "", "word", style=lambda v: {"ok": "green", "WARN": "yellow", "FAIL": "bold red"}.get(v)),
        Col("name", "", "word"), Col("detail", "", "text")]


@click.command(name="doctor")
@ledger_options
@click.option("--no-sample", is_flag=True, help="Skip running a real hook against a throwaway ledger.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of text.")
def command(project: str | None, db_path: str | None, no_sample: bool, as_json: bool) -> None:
    """Check the hooks are still registered in .claude/settings.json (Claude Code has been seen
    to drop them) and point at files that exist, the ledger's integrity, schema version and
    size, the spool backlog, the Python version, and a latency sample (a real hook run against
    a throwaway ledger). Prints the command that fixes each problem; exits 1 if there is one."""
    from hookledger.faces import doctor

    project_dir, db = resolve_upward(project, db_path)
    checks = doctor.run(project_dir, db, sample=not no_sample)
    problems = [c for c in checks if c.status != "ok"]
    if as_json:
        from hookledger.faces.output import echo_json

        echo_json({"project": project_dir, "ledger": db, **doctor.as_json(checks)})
    else:
        from hookledger.faces.output import say
        from hookledger.faces.table import print_table

        say(f"project {project_dir}")
        say(f"ledger  {db}")
        say()
        rows = []
        for c in checks:
            rows.append({"mark": MARK[c.status], "name": c.name, "detail": c.detail})
            if c.fix:
                rows.append({"mark": "", "name": "", "detail": f"fix: {c.fix}"})
        print_table(rows, COLS, empty="", header=False)
        say(f"\n{len(problems)} problem(s) found." if problems else "\nNo problems found.",
            style="bold red" if problems else "green")
    if problems:
        raise SystemExit(1)
