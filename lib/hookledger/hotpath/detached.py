"""Start a hookledger command detached from the hook that asks for it.

Hot path (called from handlers): stdlib only, no database access, a few milliseconds per
child. The child outlives the hook and first waits for it to exit (`--after-pid`): it is
spawned from inside the hook's write transaction, and by the time the hook has exited that
transaction has committed. Its output and failures never reach Claude Code.
"""

from __future__ import annotations

import os
import sys
import time

WAIT_MAX_S = 30.0  # a hook outlives its own deadline by far less; never wait forever


def spawn(args: list[str], cwd: str, *, after_pid: int | None = -1) -> bool:
    """Start `python -m hookledger ARGS...` in a new session; True if it started.

    The child waits for `after_pid` to exit first (default: this process, the hook; None: no wait).
    """
    import subprocess  # only when a child is started (~4 ms)

    wait = os.getpid() if after_pid == -1 else after_pid
    argv = [sys.executable, "-m", "hookledger", *args]
    if wait:
        argv += ["--after-pid", str(wait)]
    env = dict(os.environ)
    lib = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # lib/, holding hookledger/
    env["PYTHONPATH"] = lib + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        subprocess.Popen(argv, cwd=cwd if os.path.isdir(cwd) else None, env=env, start_new_session=True,
                         close_fds=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    except OSError:
        return False  # a background job that cannot start must not fail the hook
    return True


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
