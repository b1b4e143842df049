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


class Chunk:
    """What one read found: usage per message key, compaction boundaries, the Claude Code
    version of the last assistant record, where the read started (0 after a restart) and the
    new offset."""

    __slots__ = ("start", "offset", "usage", "models", "boundaries", "version")

    def __init__(self, start: int, offset: int) -> None:
        self.start = start
        self.offset = offset
        self.usage: dict[str, tuple[int, int, int, int]] = {}
        self.models: dict[str, str] = {}
        self.boundaries = 0
        self.version: str | None = None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


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
    message_id = message.get("id")
    if not isinstance(usage, dict) or not isinstance(message_id, str) or not message_id:
        return
    request = record.get("requestId")
    key = f"{message_id}:{request}" if isinstance(request, str) and request else message_id
    values = tuple(_count(usage.get(f)) for f in USAGE_FIELDS)
    old = chunk.usage.get(key)
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
