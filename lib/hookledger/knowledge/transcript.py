"""Token usage from a Claude Code transcript, read incrementally.

Claude Code writes one assistant line per content block and repeats the whole usage object on
each, and streaming can add an early partial snapshot: usage is keyed by message.id (+ requestId)
and the maximum of each counter kept. The file is appended asynchronously and may lag, be
missing, or be replaced: only complete lines are consumed, from a byte offset the caller
stores; a file shorter than the offset is read again from the start (keys make that
harmless). Pure stdlib, no database.
"""

from __future__ import annotations

import json
import os

USAGE_FIELDS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
# cache_creation's split of the writes by lifetime (priced differently), after USAGE_FIELDS
SPLIT_FIELDS = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")


class Chunk:
    """What one read found: usage per message key (the four counters then the 5m/1h split of
    cache writes), its model and first timestamp, compaction boundaries, the Claude Code
    version of the last assistant record, where the read started (0 after a restart) and the
    new offset."""

    __slots__ = ("start", "offset", "usage", "models", "times", "boundaries", "version")

    def __init__(self, start: int, offset: int) -> None:
        self.start = start
        self.offset = offset
        self.usage: dict[str, tuple[int, int, int, int, int, int]] = {}
        self.models: dict[str, str] = {}
        self.times: dict[str, str] = {}
        self.boundaries = 0
        self.version: str | None = None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_key(record: dict, message: dict) -> str | None:
    """The key of one API response: message.id + ':' + requestId (message.id alone without one)."""
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id:
        return None
    request = record.get("requestId")
    return f"{message_id}:{request}" if isinstance(request, str) and request else message_id


def usage_counts(usage: dict) -> tuple[int, int, int, int, int, int]:
    """input, output, cache write, cache read, then 5-minute and 1-hour cache writes."""
    split = usage.get("cache_creation")
    split = split if isinstance(split, dict) else {}
    return tuple(_count(usage.get(f)) for f in USAGE_FIELDS) + tuple(  # type: ignore[return-value]
        _count(split.get(f)) for f in SPLIT_FIELDS)


def db_time(stamp: object) -> str | None:
    """A transcript's ISO timestamp ('2026-11-22T20:37:38.091Z') as the ledger writes times."""
    if not isinstance(stamp, str) or len(stamp) < 19 or stamp[10] != "T":
        return None
    return stamp[:10] + " " + stamp[11:23].rstrip("Z")


def _take(chunk: Chunk, line: bytes) -> None:
    # Cheap filter first: most lines are user/tool/attachment records without usage.
    if b'"usage"' not in line and b"compact_boundary" not in line:
        return
    try:
        record = json.loads(line)
    except ValueError:
        return
    if not isinstance(record, dict):
        return
    if record.get("type") == "system" and record.get("subtype") == "compact_boundary":
        chunk.boundaries += 1
        return
    message = record.get("message")
    if record.get("type") != "assistant" or not isinstance(message, dict):
        return
    usage = message.get("usage")
    key = usage_key(record, message)
    if not isinstance(usage, dict) or key is None:
        return
    values = usage_counts(usage)
    old = chunk.usage.get(key)
    if old is None:
        stamp = db_time(record.get("timestamp"))
        if stamp:
            chunk.times[key] = stamp
    chunk.usage[key] = values if old is None else tuple(max(a, b) for a, b in zip(old, values))  # type: ignore[assignment]
    model = message.get("model")
    if isinstance(model, str) and model and not model.startswith("<"):
        chunk.models[key] = model
    version = record.get("version")
    if isinstance(version, str) and version:
        chunk.version = version


def last_version(path: str | None, tail_bytes: int = 256_000) -> str | None:
    """The Claude Code version written on the last record of a transcript that has one."""
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(max(0, size - tail_bytes))
            data = fh.read(tail_bytes)
    except OSError:
        return None
    for line in reversed(data.splitlines()):
        if b'"version"' not in line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # the first, partial line of the tail, or a line being written
        version = record.get("version") if isinstance(record, dict) else None
        if isinstance(version, str) and version:
            return version
    return None


def read_usage(path: str | None, offset: int, max_bytes: int) -> Chunk | None:
    """Usage in the complete lines after `offset`, reading at most about `max_bytes`.

    None when the transcript is missing or unreadable (it may not exist yet).
    """
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if offset > size:
                offset = 0  # replaced or truncated: start over
            fh.seek(offset)
            data = fh.read(max(0, max_bytes))
    except OSError:
        return None
    end = data.rfind(b"\n")
    if end < 0:
        # No complete line yet, unless one line is longer than the whole budget: skip it.
        return Chunk(offset, offset + len(data) if len(data) >= max_bytes > 0 else offset)
    chunk = Chunk(offset, offset + end + 1)
    for line in data[: end + 1].splitlines():
        if line.strip():
            _take(chunk, line)
    return chunk
