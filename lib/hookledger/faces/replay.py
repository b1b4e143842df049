"""Replay a recorded Claude Code session through the real hook executables.

A recording is JSONL, one hook call per line: {"event", "stdin", "env"} exactly as Claude
Code sent them (see tests/fixtures and the demo sessions). Paths of the recorded project
and home are rewritten to a new project, so the replay behaves as if it happened there.
Used by `hookledger demo`, the benchmarks and the end-to-end tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from hookledger.hotpath.events import EVENTS
from hookledger.faces.hookscripts import filename

RECORDED_PROJECT = "/home/dev/acme-app"
RECORDED_HOME = "/home/dev"
DEMO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_sessions")


@dataclass
class HookCall:
    event: str
    stdin: dict[str, Any]
    env: dict[str, str]


@dataclass
class CallResult:
    event: str
    exit_code: int
    stdout: str
    stderr: str
    wall_ms: float


@dataclass
class ReplayResult:
    calls: list[CallResult] = field(default_factory=list)
    skipped: int = 0  # recorded events hookledger does not register a hook for


def demo_sessions() -> dict[str, str]:
    """Name -> path of the recorded sessions shipped with the package."""
    directory = os.path.join(DEMO_DIR, "sessions")
    return {n[:-6]: os.path.join(directory, n) for n in sorted(os.listdir(directory)) if n.endswith(".jsonl")}


def _rewrite(value: Any, project: str, home: str) -> Any:
    if isinstance(value, str):
        return value.replace(RECORDED_PROJECT, project).replace(RECORDED_HOME + "/", home + "/")
    if isinstance(value, dict):
        return {k: _rewrite(v, project, home) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, project, home) for v in value]
    return value


def load(path: str, project: str, home: str) -> list[HookCall]:
    calls = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = _rewrite(json.loads(line), project, home)
                calls.append(HookCall(rec["event"], rec["stdin"], rec.get("env", {})))
    return calls


def stage_transcripts(name: str, home: str, project: str) -> None:
    """Copy the session's recorded transcripts to where its payloads say they are."""
    source = os.path.join(DEMO_DIR, "transcripts", name)
    if not os.path.isdir(source):
        return
    # The payloads keep the recorded encoded directory name (only /home/dev/ is rewritten).
    encoded = RECORDED_PROJECT.replace("/", "-").replace(".", "-").replace("_", "-")
    target = os.path.join(home, ".claude", "projects", encoded)
    os.makedirs(target, exist_ok=True)
    for entry in os.listdir(source):
        src = os.path.join(source, entry)
        dst = os.path.join(target, entry)
        if os.path.isdir(src):
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def stage_project(name: str, project: str) -> None:
    """Copy the files the session's project held (demo_sessions/projects/<name>/: its sources,
    tests, `.claude/hookledger.json` kept as `dot-claude/...`) into `project`."""
    source = os.path.join(DEMO_DIR, "projects", name)
    if not os.path.isdir(source):
        return
    for folder, _, files in os.walk(source):
        rel = os.path.relpath(folder, source)
        parts = [] if rel == "." else ["." + p[4:] if p.startswith("dot-") else p for p in rel.split(os.sep)]
        target = os.path.join(project, *parts)
        os.makedirs(target, exist_ok=True)
        for entry in files:
            shutil.copy2(os.path.join(folder, entry), os.path.join(target, entry))


def run_call(call: HookCall, hooks_dir: str, project: str, python: str = sys.executable,
             extra_env: dict[str, str] | None = None, timeout: float = 30) -> CallResult:
    """Run one hook executable as Claude Code does: `sh -c`-like spawn, JSON + newline on stdin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env.update(call.env)
    env["CLAUDE_PROJECT_DIR"] = project
    env.pop("CLAUDE_ENV_FILE", None)
    if extra_env:
        env.update(extra_env)
    cwd = call.stdin.get("cwd") if isinstance(call.stdin.get("cwd"), str) else project
    started = time.perf_counter()
    proc = subprocess.run(
        [python, os.path.join(hooks_dir, filename(call.event))],
        input=(json.dumps(call.stdin) + "\n").encode(), capture_output=True, env=env,
        cwd=cwd if os.path.isdir(cwd) else project, timeout=timeout,
    )
    wall = (time.perf_counter() - started) * 1000
    return CallResult(call.event, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                      proc.stderr.decode("utf-8", "replace"), wall)


def replay(path: str, project: str, hooks_dir: str, home: str | None = None,
           python: str = sys.executable, extra_env: dict[str, str] | None = None) -> ReplayResult:
    """Replay every call of the recording at `path` into `project`, in order."""
    home = home or os.path.join(project, ".home")
    name = os.path.basename(path).rsplit(".", 1)[0]
    stage_transcripts(name, home, project)
    stage_project(name, project)
    result = ReplayResult()
    for call in load(path, project, home):
        if call.event not in EVENTS:
            result.skipped += 1
            continue
        result.calls.append(run_call(call, hooks_dir, project, python, extra_env))
    return result
