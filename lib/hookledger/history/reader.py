"""Complete transcript lines after a byte offset, streamed in bounded chunks (memory stays flat
whatever the file size), and the prefilter that skips records the import never needs without
parsing them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

CHUNK = 1 << 20
HEAD = 4096  # bytes hashed to notice a file replaced under the same name

# Records skipped on sight: their type shows in the first bytes (queue operations, snapshots,
# the last-prompt marker) or their big `attachment` object comes before their type.
_SKIP_HEADS = (b'"type":"queue-operation"', b'"type": "queue-operation"', b'"type":"file-history-snapshot"',
               b'"type": "file-history-snapshot"', b'"type":"last-prompt"', b'"type": "last-prompt"',
               b'"attachment":', b'"type":"summary"', b'"type": "summary"', b'"type":"custom-title"',
               b'"type": "custom-title"')
HEAD_SCAN = 256


def skippable(line: bytes) -> bool:
    """A record the import needs nothing from, known without parsing it."""
    head = line[:HEAD_SCAN]
    return any(mark in head for mark in _SKIP_HEADS)


def head_hash(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha1(fh.read(HEAD)).hexdigest()
    except OSError:
        return None


class Lines:
    """Iterate (offset, line) over the complete lines of `path` from `offset`; afterwards
    `end` is the offset after the last complete line and `tail` the bytes of an incomplete
    last line (a line being written, or a truncated file)."""

    def __init__(self, path: str, offset: int) -> None:
        self.path, self.start, self.end, self.tail, self.read_bytes = path, offset, offset, b"", 0

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.path, flags)
        with os.fdopen(fd, "rb", buffering=0) as fh:
            fh.seek(self.start)
            pos, rest = self.start, b""
            while True:
                block = fh.read(CHUNK)
                if not block:
                    break
                self.read_bytes += len(block)
                data = rest + block if rest else block
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                start = 0
                for line in data[:cut].split(b"\n"):
                    line_at = pos + start
                    start += len(line) + 1
                    if line.strip():
                        yield line_at, line
                pos += cut + 1
                rest = data[cut + 1:]
                self.end = pos
            self.tail = rest
