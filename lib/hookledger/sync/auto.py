"""Automatic sync at SessionEnd: spawn `hookledger sync` detached and return at once.

Hot path (called from the SessionEnd handler): stdlib only, no database access, a few
milliseconds per target. The child outlives the hook; its failures never reach Claude Code.
It is spawned from inside the hook's write transaction, so it first waits for the hook
process to exit (`--after-pid`): by then SessionEnd's rows are committed and will be synced.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

TARGETS = ("massu", "flightdeck", "codewalkers", "teamx")
WAIT_MAX_S = 30.0  # a hook outlives its own deadline by far less; never wait forever


def auto_targets(config: dict[str, Any]) -> list[dict[str, str]]:
    """The valid `sync.auto` entries of a project config: [{"to": ..., "target_db": ...}]."""
    entries = (config.get("sync") or {}).get("auto") if isinstance(config.get("sync"), dict) else None
    out = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("to") in TARGETS and isinstance(entry.get("target_db"), str):
            out.append({"to": entry["to"], "target_db": entry["target_db"]})
    return out


def spawn_auto_sync(project_dir: str, db_path: str, config: dict[str, Any], *, after_pid: int | None = -1) -> int:
    """Start one detached `python -m hookledger sync` per configured target; returns how many.

    Each child waits for `after_pid` to exit first (default: this process, the hook; None: no wait).
    """
    wait = os.getpid() if after_pid == -1 else after_pid
    started = 0
    for entry in auto_targets(config):
        target = entry["target_db"]
        if not os.path.isabs(target):
            target = os.path.join(project_dir, target)
        argv = [sys.executable, "-m", "hookledger", "sync", "--to", entry["to"], "--target-db", target,
                "--project", project_dir, "--db", db_path, "--quiet"]
        if wait:
            argv += ["--after-pid", str(wait)]
        env = dict(os.environ)
        lib = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = lib + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            subprocess.Popen(argv, cwd=project_dir, env=env, start_new_session=True, close_fds=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started += 1
        except OSError:
            continue  # a sync that cannot start must not fail SessionEnd
    return started


def wait_for_exit(pid: int, timeout: float = WAIT_MAX_S, poll: float = 0.02) -> bool:
    """Wait until process `pid` is gone (True), or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # alive, another user's: keep waiting
        time.sleep(poll)
    return False
