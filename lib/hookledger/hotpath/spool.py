"""The spool: events that could not reach the ledger wait here as files until replayed.

Each event is one JSON file, written to a temporary name and renamed into place, so a
reader never sees half a file. Replay records the event and its audit row in one
transaction keyed by the event's uid, then unlinks the file: a crash after the commit
leaves a file whose uid is already recorded, and the next replay drops it without
recording it twice.

The spool cannot be poisoned: a folder that is a link (or anything but a folder of ours) is
not used; files are opened without following links; every record is validated (`problem`)
before replay, and one that cannot be replayed (unreadable, truncated, oversized, of the
wrong shape or types, for an unknown event) is quarantined: moved aside into
`<spool>/quarantine/` (0700) as a redacted note, reported by `doctor` and `status`, never
retried, and never in the way of the records after it. What is spooled is redacted first
(`redact.scrub`): the payload keeps its shape, so a replay still has the handlers' input.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import time

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

from hookledger.hotpath.events import EVENTS
from hookledger.hotpath.paths import spool_dirs
from hookledger.store.safe_files import (UnsafePath, dir_problem, make_private_dir, open_private,
                                         read_private)

SUFFIX = ".event.json"
QUARANTINE = "quarantine"
LEGACY_QUARANTINE = "unreadable"  # where hookledger before 0.x set unreadable files aside
STALE_TMP_S = 3600
MAX_RECORD_BYTES = 16 << 20  # a spooled event is one hook input (capped at a few MB) plus its audit row
MAX_SPOOLED_STRING = 256 << 10  # chars kept of each string of a spooled record
QUARANTINE_KEEP_CHARS = 64 << 10  # of a quarantined file's text (redacted), for inspection
UID_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,127}")
TMP_RE = re.compile(r"\.[0-9a-f]{16}-[0-9a-f]+-[0-9a-f]{8}\.tmp")  # only what write() creates
AUDIT_COLUMNS = ("event_uid", "session_id", "timestamp", "event_type", "dispatcher", "payload_summary", "exit_code",
                 "duration_ms", "agent_id", "tool_name", "tool_use_id", "outcome", "error", "replayed")
_INT_MAX = 2**63 - 1


def usable_dirs(db: str) -> list[str]:
    """The spool folders for this ledger that are safe to use (absent ones included: write()
    creates them): a planted link or file at a spool path is skipped."""
    return [d for d in spool_dirs(db) if dir_problem(d) is None]


def write(db: str, record: dict[str, Any], *, fallback_only: bool = False) -> str:
    """Spool `record` beside the ledger, or in the per-user fallback; returns the file path.
    `fallback_only`: the project's folder is not to be trusted (the ledger path is a link)."""
    from hookledger.hotpath.redact import scrub

    # Each string redacted and capped: a huge tool output keeps its head, the record its shape
    # (every field a handler reads is short), and stays far below MAX_RECORD_BYTES.
    data = json.dumps(scrub(record, max_chars=MAX_SPOOLED_STRING), ensure_ascii=False,
                      default=str).encode("utf-8", "surrogatepass")
    uid = record["event_uid"]
    last_error: OSError | None = None
    directories = spool_dirs(db)[1:] if fallback_only else spool_dirs(db)
    for directory in directories:
        try:
            make_private_dir(directory)
            final = os.path.join(directory, f"{uid}{SUFFIX}")
            tmp = os.path.join(directory, f".{uid}.tmp")
            fd = open_private(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
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
    for directory in usable_dirs(db):
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


class Unreplayable(Exception):
    """A spool file that can never be replayed; the message says why."""


def read(path: str) -> dict[str, Any] | None:
    """The spooled record, validated; None if it is gone (another hook replayed it).
    Raises Unreplayable for a file that is not a valid record."""
    try:
        raw = read_private(path, MAX_RECORD_BYTES)
    except FileNotFoundError:
        return None
    except UnsafePath as exc:
        raise Unreplayable(str(exc)) from None
    except OSError as exc:
        raise Unreplayable(f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_RECORD_BYTES:
        raise Unreplayable(f"larger than {MAX_RECORD_BYTES >> 20} MB")
    try:
        record = json.loads(raw.decode("utf-8", "surrogatepass"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise Unreplayable(f"not a JSON record ({type(exc).__name__})") from None
    why = problem(record)
    if why:
        raise Unreplayable(why)
    return record


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _scalar_ok(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -_INT_MAX <= value <= _INT_MAX
    return isinstance(value, float) and math.isfinite(value)


def problem(record: Any) -> str | None:
    """Why `record` cannot be replayed (None: it can): its shape and types, checked."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not a record"
    uid = record.get("event_uid")
    if not isinstance(uid, str) or not UID_RE.fullmatch(uid):
        return "event_uid is missing or not an event uid"
    event = record.get("event")
    if not isinstance(event, str) or event not in EVENTS:
        return "event is missing or not an event hookledger dispatches"
    received = record.get("received_at")
    from hookledger.hotpath.timeutil import parse_utc

    if not isinstance(received, str) or parse_utc(received) is None:
        return "received_at is missing or not a timestamp"
    audit = record.get("audit")
    if not isinstance(audit, dict):
        return "audit is missing or not an object"
    for key, value in audit.items():
        if key in AUDIT_COLUMNS and not _scalar_ok(value):
            return f"audit.{key} has the wrong type"
    if audit.get("event_uid", uid) != uid or audit.get("event_type", event) != event:
        return "audit does not match the record's event"
    for key, kinds in (("payload", (dict, type(None))), ("prepared", (dict, type(None))),
                       ("project_dir", (str, type(None))), ("process", (bool, type(None)))):
        if key in record and not isinstance(record[key], kinds):
            return f"{key} has the wrong type"
    if record.get("process") and not isinstance(record.get("payload"), dict):
        return "process is set but there is no payload"
    if isinstance(record.get("payload"), dict):
        from hookledger.hotpath import payload

        try:
            payload.check(record["payload"], event)
        except payload.BadInput as exc:
            return f"payload: {exc}"
    return None


def discard(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def quarantine_dirs(db: str) -> list[str]:
    """The folders holding quarantined spool files (those that exist and are ours)."""
    found = []
    for spool in usable_dirs(db):
        for name in (QUARANTINE, LEGACY_QUARANTINE):
            path = os.path.join(spool, name)
            if dir_problem(path) is None and os.path.isdir(path):
                found.append(path)
    return found


def quarantined(db: str) -> list[str]:
    """The quarantined files (notes written by `quarantine`, and older set-aside files)."""
    out: list[str] = []
    for directory in quarantine_dirs(db):
        legacy = os.path.basename(directory) == LEGACY_QUARANTINE
        try:
            out.extend(os.path.join(directory, n) for n in sorted(os.listdir(directory))
                       if legacy or (n.endswith(".json") and not n.startswith(".")))
        except OSError:
            continue
    return out


def quarantine(path: str, reason: str) -> str | None:
    """Set a spool file that cannot be replayed aside, for good: its text (redacted, capped)
    and why, as a note in <spool>/quarantine/; the file itself leaves the spool. A link, FIFO or
    other non-file is removed (never followed). Returns the note's path (None if another hook
    took the file first, or nothing could be written)."""
    from hookledger.hotpath.redact import redact
    from hookledger.hotpath.timeutil import utc_now

    spool, name = os.path.split(path)
    qdir = os.path.join(spool, QUARANTINE)
    try:
        st = os.lstat(path)
    except OSError:
        return None
    try:
        make_private_dir(qdir)
    except OSError:  # the quarantine folder itself is a planted link: the file cannot stay in the way
        if not stat.S_ISDIR(st.st_mode):
            discard(path)
        return None
    claimed = os.path.join(qdir, f".{os.getpid()}-{os.urandom(3).hex()}.claim")
    content: str | None = None
    try:
        if stat.S_ISREG(st.st_mode):
            os.rename(path, claimed)  # atomic: of hooks quarantining one file at once, one wins
            try:
                raw = read_private(claimed, QUARANTINE_KEEP_CHARS)
                content = redact(raw[:QUARANTINE_KEEP_CHARS].decode("utf-8", "replace"))
            finally:
                discard(claimed)
        elif stat.S_ISDIR(st.st_mode):
            os.rename(path, os.path.join(qdir, f".{os.getpid()}-{os.urandom(3).hex()}.dir"))
        else:
            os.unlink(path)  # a link or FIFO: remove the entry itself, never what it points to
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = f"{reason}; could not be moved ({exc.strerror or exc})"
    note = {"file": redact(name), "reason": redact(reason), "quarantined_at": utc_now(time.time()),
            "bytes": st.st_size, "content": content}
    # named by us: a planted file's name is the attacker's text (redacted inside the note)
    final = os.path.join(qdir, f"{int(time.time() * 1000):013x}-{os.getpid():x}-{os.urandom(3).hex()}.json")
    try:
        fd = open_private(final, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        try:
            os.write(fd, json.dumps(note, ensure_ascii=False).encode("utf-8", "replace"))
        finally:
            os.close(fd)
    except OSError:
        return None
    return final


def sweep_tmp(db: str, now: float | None = None) -> None:
    """Remove temporary files left by writers that crashed mid-write (never renamed = never
    spooled). Only files this module creates: our name pattern, a regular file, ours, stale."""
    now = now or time.time()
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    for directory in usable_dirs(db):
        try:
            names = [n for n in os.listdir(directory) if TMP_RE.fullmatch(n)]
        except OSError:
            continue
        for name in names:
            path = os.path.join(directory, name)
            try:
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and (uid is None or st.st_uid == uid) and now - st.st_mtime > STALE_TMP_S:
                    os.unlink(path)
            except OSError:
                pass
