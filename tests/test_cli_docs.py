"""Every `hookledger` command explains itself (--help) and is documented in the README."""

from __future__ import annotations

import re

from click.testing import CliRunner

from conftest import ROOT

from hookledger.faces.cli import cli


def test_every_command_has_help_and_a_readme_mention():
    readme = (ROOT / "README.md").read_text()
    missing = []
    for name, command in sorted(cli.commands.items()):
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0 and command.help and len(command.help.split()) >= 5, name
        if not re.search(rf"hookledger {re.escape(name)}\b", readme):
            missing.append(name)
    assert not missing, f"not in README.md: {missing}"
