"""Running the real Claude Code CLI offline: which versions, where it is installed, one `-p` run.

The CLI (npm package @anthropic-ai/claude-code) is installed by scripts/ensure-claude-code.sh
into a cache outside the repository. Versions: the pinned one (hookledger.knowledge.claude_code
.PINNED) plus any in HOOKLEDGER_E2E_CLAUDE_VERSION (a comma list), so a new release is tried
with `HOOKLEDGER_E2E_CLAUDE_VERSION=2.1.400 ./dev e2e`.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookledger.knowledge.claude_code import PINNED

ROOT = Path(__file__).resolve().parents[2]
ENSURE = ROOT / "scripts" / "ensure-claude-code.sh"
VERSION_ENV = "HOOKLEDGER_E2E_CLAUDE_VERSION"
RUN_TIMEOUT_S = 180
# Any key will do: the stand-in API does not check it (the CLI only needs one to be set).
DUMMY_KEY = "sk-ant-e2e-0000000000000000000000000000000000000000"


def versions() -> list[str]:
    """The pinned version, then the extra ones asked for, each once."""
    extra = [v.strip() for v in os.environ.get(VERSION_ENV, "").split(",") if v.strip()]
    return list(dict.fromkeys([PINNED, *extra]))


class Unavailable(Exception):
    """node or npm is missing: the e2e tests are skipped with this reason."""


def ensure_cli(version: str) -> Path:
    """The `claude` executable of this version, installed into the cache if needed."""
    proc = subprocess.run(["sh", str(ENSURE), version], capture_output=True, text=True, timeout=900)
    if proc.returncode == 3:
        raise Unavailable(proc.stderr.strip() or "node/npm missing")
    if proc.returncode != 0:
        raise RuntimeError(f"installing Claude Code {version} failed:\n{proc.stderr.strip()}")
    return Path(proc.stdout.strip().splitlines()[-1])


def cli_env(home: Path, base_url: str, tmp: Path) -> dict[str, str]:
    """A clean environment: nothing of the caller's Claude Code, API or hookledger settings,
    a fresh HOME, the stand-in API on loopback, and no traffic anywhere else."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": DUMMY_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        # root may bypass permissions only in a declared sandbox
        "IS_SANDBOX": "1",
        # newer versions drop the Task tools on recent models unless asked for
        "CLAUDE_CODE_ENABLE_TODO_TOOLS": "1",
    }


@dataclass
class Run:
    """One `claude -p` run: exit code, its stream-json events, stderr."""
    args: list[str]
    returncode: int
    events: list[dict[str, Any]] = field(default_factory=list)
    stderr: str = ""

    @property
    def session_id(self) -> str | None:
        """The session the run worked in (its result's; newer versions report a provisional
        id on the first events of a resumed run)."""
        return self.result.get("session_id") or self.init.get("session_id")

    @property
    def init(self) -> dict[str, Any]:
        return next((e for e in self.events if e.get("type") == "system" and e.get("subtype") == "init"), {})

    @property
    def result(self) -> dict[str, Any]:
        return next((e for e in reversed(self.events) if e.get("type") == "result"), {})

    @property
    def version(self) -> str | None:
        return self.init.get("claude_code_version")

    def hook_responses(self) -> list[dict[str, Any]]:
        """The hook runs Claude Code reported in its output (SessionStart ones, at least)."""
        return [e for e in self.events if e.get("type") == "system" and e.get("subtype") == "hook_response"]


def run_claude(cli: Path, cwd: Path, env: dict[str, str], prompt: str, *flags: str,
               timeout: float = RUN_TIMEOUT_S) -> Run:
    args = [str(cli), "-p", prompt, "--output-format", "stream-json", "--verbose",
            "--dangerously-skip-permissions", *flags]
    proc = subprocess.run(args, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    events = []
    for line in proc.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return Run(args, proc.returncode, events, proc.stderr)
