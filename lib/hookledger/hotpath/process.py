"""Which Claude Code process sent an event, and whether it still runs.

Used to close out sessions whose SessionEnd never arrived without closing a session that
another Claude Code process in the same project is still running. Stdlib only.
"""

from __future__ import annotations

import os

_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "busybox"})


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(command name, parent pid) from /proc, or None where /proc is unavailable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    comm = stat[stat.index("(") + 1: stat.rindex(")")]
    return comm, int(stat[stat.rindex(")") + 2:].split()[1])


def claude_pid() -> int | None:
    """Claude Code's pid: `$CLAUDE_PID` (2.1.214+), else the hook's parent, skipping the
    `sh -c` shell that Claude Code runs command hooks through."""
    env = os.environ.get("CLAUDE_PID", "")
    if env.isdigit():
        return int(env)
    parent = os.getppid()
    stat = _proc_stat(parent)
    if stat and stat[0] in _SHELLS and stat[1] > 1:
        return stat[1]
    return parent if parent > 1 else None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True
