"""The spool: events that could not reach the ledger wait here as files until replayed.

Each event is one JSON file, written to a temporary name and renamed into place, so a
reader never sees half a file. Replay records the event and its audit row in one
transaction keyed by the event's uid, then unlinks the file: a crash after the commit
leaves a file whose uid is already recorded, and the next replay drops it without
recording it twice.
"""

from __future__ import annotations

import json
import os
import time
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

from hookledger.hotpath.paths import spool_dirs

SUFFIX = ".event.json"
STALE_TMP_S = 3600


def write(db: str, record: dict[str, Any]) -> str:
    """Spool `record` beside the ledger, or in the per-user fallback; returns the file path."""
    data = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    last_error: OSError | None = None
    for directory in spool_dirs(db):
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            final = os.path.join(directory, f"{record['event_uid']}{SUFFIX}")
            tmp = os.path.join(directory, f".{record['event_uid']}.tmp")
            fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, final)
            return final
        except OSError as exc:
            last_error = exc
    raise OSError(f"no spool directory is writable: {last_error}")


def pending(db: str) -> list[str]:
    """Spooled event files, oldest first (names start with a hex time)."""
    files: list[str] = []
    for directory in spool_dirs(db):
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        files.extend(os.path.join(directory, n) for n in names if n.endswith(SUFFIX))
    files.sort(key=os.path.basename)
    return files


def pending_uids(db: str) -> list[str]:
    """The event uids waiting in the spool (each file is named after its event's uid)."""
    return [os.path.basename(p)[: -len(SUFFIX)] for p in pending(db)]


def read(path: str) -> dict[str, Any] | None:
    """The spooled record, or None if it is gone (another hook replayed it) or unreadable."""
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read().decode("utf-8", "surrogatepass"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        _quarantine(path)
        return None


def discard(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


UNREADABLE = "unreadable"


def unreadable_dirs(db: str) -> list[str]:
    """The directories holding spool files set aside as unreadable (those that exist)."""
    return [d for d in (os.path.join(s, UNREADABLE) for s in spool_dirs(db)) if os.path.isdir(d)]


def _quarantine(path: str) -> None:
    """Move an unreadable spool file aside so it is kept for inspection but not retried forever."""
    bad = os.path.join(os.path.dirname(path), UNREADABLE)
    try:
        os.makedirs(bad, exist_ok=True)
        os.replace(path, os.path.join(bad, os.path.basename(path)))
    except OSError:
        pass


def sweep_tmp(db: str, now: float | None = None) -> None:
    """Remove temporary files left by writers that crashed mid-write (never renamed = never spooled)."""
    now = now or time.time()
    for directory in spool_dirs(db):
        try:
            entries: Iterator[os.DirEntry[str]] = os.scandir(directory)
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".tmp"):
                try:
                    if now - entry.stat().st_mtime > STALE_TMP_S:
                        os.unlink(entry.path)
                except OSError:
                    pass
