"""`hookledger install PROJECT [--uninstall]`: register the hooks in a project's settings."""

from __future__ import annotations

import sys

import click


@click.command(name="install")
@click.argument("project", type=click.Path(file_okay=False, exists=True), default=".")
@click.option("--uninstall", is_flag=True, help="Remove exactly hookledger's entries.")
@click.option("--python", "python", default=sys.executable, show_default=True,
              help="Interpreter the hooks run with (absolute).")
@click.option("--hooks-dir", default=None, help="Where the hook executables are written "
              "(default: $HOOKLEDGER_HOME/hooks).")
def command(project: str, uninstall: bool, python: str, hooks_dir: str | None) -> None:
    """Merge hookledger's hook registrations into PROJECT/.claude/settings.json.

    Idempotent; keeps every other hook and key; writes a timestamped backup before changing
    the file; leaves an invalid settings file untouched; adds the ledger to .gitignore.
    """
    from hookledger.faces.cli import HookledgerError
    from hookledger.faces.install import SettingsError, describe, install_project
    from hookledger.faces.output import say

    try:
        result = install_project(project, python, hooks_dir, uninstall=uninstall)
    except (SettingsError, OSError) as exc:
        raise HookledgerError(str(exc)) from exc
    for line in describe(result, uninstall).splitlines():
        say(line)
