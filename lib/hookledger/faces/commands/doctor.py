"""`hookledger doctor`: check that the hooks are registered and recording, and the ledger is healthy."""

from __future__ import annotations

import click

from hookledger.faces.commands.common import ledger_options, resolve_upward

MARK = {"ok": ("ok  ", "green"), "warn": ("WARN", "yellow"), "fail": ("FAIL", "bold red")}


def _show(checks) -> None:
    """One check per line: its mark, name and what it found, wrapped under itself; then the fix,
    never broken, so it can be copied whole."""
    import textwrap

    from rich.text import Text

    from hookledger.faces.output import console, terminal_width

    out = console()
    name_width = max(len(c.name) for c in checks)
    indent = " " * (4 + 2 + name_width + 2)
    room = (terminal_width(out.file) or 10_000) - len(indent)
    for c in checks:
        mark, style = MARK[c.status]
        lines = textwrap.wrap(c.detail, max(20, room), break_on_hyphens=False) or [""]
        line = Text(mark, style=style)
        line.append(f"  {c.name:<{name_width}}  {lines[0]}")
        out.print(line, soft_wrap=True)
        for rest in lines[1:]:
            out.print(indent + rest, soft_wrap=True)
        if c.fix:  # the command on its own line(s), whole when it fits; a note after it wrapped below
            command, _, note = c.fix.partition("   (")
            fix = textwrap.wrap("fix: " + command, max(20, room), break_on_hyphens=False)
            fix += textwrap.wrap("(" + note, max(20, room), break_on_hyphens=False) if note else []
            for n, piece in enumerate(fix):
                out.print(Text(indent + piece, style="bold" if n == 0 else ""), soft_wrap=True)


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

        say(f"project {project_dir}")
        say(f"ledger  {db}")
        say()
        _show(checks)
        say(f"\n{len(problems)} problem(s) found." if problems else "\nNo problems found.",
            style="bold red" if problems else "green")
    if problems:
        raise SystemExit(1)
