"""The Quick start followed literally: `./dev demo`, then every command it prints and every
command in the README's inspection section, each in a new shell that knows only the PATH a
user has (plus the links `./dev demo` made); then `./dev unlink` takes the links away again."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def after_demo(tmp_path_factory: pytest.TempPathFactory):
    if not (ROOT / ".venv" / "bin" / "hookledger").exists():
        pytest.skip("no .venv in this checkout (./dev creates it)")
    home = tmp_path_factory.mktemp("user")
    bin_dir = home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    env = {"HOME": str(home), "PATH": f"{bin_dir}:/usr/bin:/bin", "TERM": "dumb", "LANG": "C.UTF-8"}
    demo = subprocess.run([str(ROOT / "dev"), "demo"], env=env, capture_output=True, text=True, timeout=900, cwd=str(ROOT))
    assert demo.returncode == 0, demo.stderr[-3000:]
    return home, bin_dir, env, demo


def new_shell(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=300, cwd=str(cwd))


def test_the_demo_links_its_commands_and_says_so(after_demo):
    home, bin_dir, _, demo = after_demo
    for name in ("hookledger", "sqlite-utils"):
        link = bin_dir / name
        assert link.is_symlink() and Path(os.readlink(link)) == ROOT / ".venv" / "bin" / name
        assert f"linked {link}" in demo.stderr
    assert (home / "hookledger-demo" / ".claude-session.db").exists()


def only_load_warnings(command: str, output: str) -> bool:
    """doctor exits 1 on a warning too; on a machine this busy (the whole suite on 2 cores) its
    latency sample may be slow: that, and only that, is no fault of the demo's installation."""
    marks = [line.split()[:3] for line in output.splitlines() if line.startswith(("WARN", "FAIL"))]
    return " doctor " in f" {command} " and bool(marks) and all(m[:3] == ["WARN", "latency", "sample"] for m in marks)


def printed_commands(output: str) -> list[str]:
    block = output.split("Explore it", 1)[1].splitlines()[1:]
    return [re.sub(r"\s+# .*$", "", line).strip() for line in block if line.startswith("  ")]


def test_every_command_the_demo_prints_runs_in_a_new_shell(after_demo):
    home, _, env, demo = after_demo
    commands = printed_commands(demo.stdout)
    assert len(commands) >= 10 and all(c.startswith(("hookledger ", "sqlite-utils ")) for c in commands)
    for command in commands:
        done = new_shell(command, env, home)  # a new shell, in the home directory
        assert done.returncode == 0 or only_load_warnings(command, done.stdout), \
            (command, done.stdout[-2000:], done.stderr[-2000:])
        assert done.stdout.strip(), command
    shown = {c.split()[1]: new_shell(c, env, home).stdout for c in commands if c.startswith("hookledger ")}
    assert "general-purpose\u00b7b81d2e6c" in shown["claims"] and "general-purpose\u00b7a3f9c2e8" in shown["claims"]
    assert "escalated_research" in shown["errors"]
    assert "unittest" in shown["failed-path"] and "block" in shown["verdicts"]
    assert shown["brief"].startswith("hookledger continuity brief") and "after the context compaction" in shown["brief"]
    assert "all 14 events registered" in shown["doctor"]
    assert "No problems found." in shown["doctor"] or only_load_warnings("hookledger doctor", shown["doctor"])
    assert (home / "hookledger-demo" / "report.html").exists()


def readme_inspection_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Inspecting", 1)[1].split("**Datasette**", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_the_readme_inspection_commands_run_as_written(after_demo):
    home, _, env, _ = after_demo
    blocks = readme_inspection_blocks()
    assert len(blocks) >= 2
    for block in blocks:
        assert block.startswith("cd ~/hookledger-demo\n")
        for n, line in enumerate(block.strip().splitlines()[1:], 1):
            # each line in a new shell, after the block's own `cd`
            done = new_shell("cd ~/hookledger-demo\n" + line, env, home)
            assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
            assert done.stdout.strip() or "[]" in line, line


def test_unlink_takes_exactly_the_links_away(after_demo):
    home, bin_dir, env, _ = after_demo
    (bin_dir / "someone-elses").write_text("#!/bin/sh\n")
    done = subprocess.run([str(ROOT / "dev"), "unlink"], env=env, capture_output=True, text=True, timeout=60,
                          cwd=str(ROOT))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in bin_dir.iterdir()) == ["someone-elses"]
    assert new_shell("command -v hookledger || echo gone", env, home).stdout.strip() == "gone"
