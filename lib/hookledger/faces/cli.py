"""The `hookledger` command: a thin click skin over library functions.

Each subcommand lives in its own module under `hookledger.faces.commands` and exposes a click
command (or group) named `command`; this module discovers and registers them all.
"""

from __future__ import annotations

import importlib
import pkgutil

import click

from hookledger import __version__


class HookledgerError(click.ClickException):
    """An expected problem, shown to the user as one line (no traceback)."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hookledger")
def cli() -> None:
    """hookledger: record Claude Code hook events into .claude-session.db and inspect them."""


def _register() -> None:
    import hookledger.faces.commands as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"hookledger.faces.commands.{info.name}")
        command = getattr(module, "command", None)
        if isinstance(command, click.Command):
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="hookledger", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0
