"""Complete transcript lines after a byte offset, streamed in bounded chunks (memory stays flat
whatever the file size), and the prefilter that skips records the import never needs without
parsing them."""

from __future__ import annotations

import hashlib
import os
import re
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
_SKIP = re.compile(b"|".join(re.escape(m) for m in _SKIP_HEADS))


def skippable(line: bytes) -> bool:
    """A record the import needs nothing from, known without parsing it."""
    return _SKIP.search(line, 0, HEAD_SCAN) is not None


def prefetch(paths: list[str]) -> None:
    """Ask the kernel to start reading these files now (many small transcripts: the next ones
    arrive from disk while this one is parsed). Best effort, never blocks on the data."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


class Lines:
    """A transcript opened for reading (no link followed): `head` hashes its first bytes; then
    iterate (offset, line) over its complete lines from `start`. Afterwards `end` is the offset
    after the last complete line and `tail` the bytes of an incomplete last line (a line being
    written, or a truncated file)."""

    def __init__(self, path: str) -> None:
        self.path, self.start, self.end, self.tail, self.read_bytes = path, 0, 0, b"", 0
        self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        self.head = hashlib.sha1(os.pread(self.fd, HEAD, 0)).hexdigest()

    def from_offset(self, offset: int) -> Lines:
        self.start = self.end = offset
        return self

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        fd, self.fd = self.fd, -1
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
