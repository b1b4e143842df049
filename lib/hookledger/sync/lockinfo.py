"""Who holds a SQLite database's write lock: the process the operating system records.

SQLite keeps no owner of its locks in the database; they are POSIX advisory locks on the
database file (rollback journal) or its `-shm` file (WAL), and Linux lists those with the
process holding each in /proc/locks. Elsewhere (or without /proc) no holder is recorded.
"""

from __future__ import annotations

import os

PROC_LOCKS = "/proc/locks"


def _inodes(path: str) -> set[tuple[int, int, int]]:
    """(major, minor, inode) of the database and the companion files SQLite locks."""
    found = set()
    for name in (path, f"{path}-shm", f"{path}-wal", f"{path}-journal"):
        try:
            st = os.stat(name)
        except OSError:
            continue
        found.add((os.major(st.st_dev), os.minor(st.st_dev), st.st_ino))
    return found


def _describe(pid: int) -> str:
    """`pid 1234 (python3 holder.py)`: the process as ps would show it, when readable."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        argv = []
    command = " ".join(" ".join(argv).split())  # one line
    if len(command) > 120:
        command = command[:117] + "..."
    return f"pid {pid} ({command})" if command else f"pid {pid}"


def write_lock_holders(path: str) -> list[str] | None:
    """The other processes holding a write lock on the database at `path`, described; None
    when the system records no lock owners (no /proc/locks)."""
    try:
        with open(PROC_LOCKS, encoding="ascii", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    wanted = _inodes(path)
    holders: list[str] = []
    for line in lines:
        fields = line.split()
        if "->" in fields:  # a process waiting for the lock, not holding it
            continue
        try:
            kind, access, pid, ident = fields[1], fields[3], int(fields[4]), fields[5]
            major, minor, inode = ident.split(":")
            key = (int(major, 16), int(minor, 16), int(inode))
        except (IndexError, ValueError):
            continue
        if kind in ("POSIX", "OFDLCK") and access == "WRITE" and key in wanted and pid > 0 and pid != os.getpid():
            described = _describe(pid)
            if described not in holders:
                holders.append(described)
    return holders


def holder_note(path: str) -> str:
    """`held by pid 1234 (…)`, or why no holder can be named."""
    holders = write_lock_holders(path)
    if holders is None:
        return "this system records no lock holder"
    if not holders:
        return "no lock holder is recorded (no other process holds a write lock on it in /proc/locks)"
    return "held by " + ", ".join(holders)
