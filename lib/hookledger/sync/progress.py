"""Progress display for `hookledger sync`: on stderr, on a terminal for large syncs, or when asked.

stdout stays the summary alone (scripts parse it); the display never appears in the detached
SessionEnd sync (`--quiet`) nor in a pipe unless `--progress` asks for it. On a terminal it is
one line rewritten in place; elsewhere a line per tenth of the work, so a log stays short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_ROWS = 1000  # fewer source rows sync in well under a second: no display unless asked


class Progress:
    """Counts source rows handled against the total a sync announced."""

    def __init__(self, label: str, total: int, stream: TextIO, live: bool) -> None:
        self.label, self.total, self.stream, self.live = label, max(total, 1), stream, live
        self.done = 0
        self.started = time.monotonic()
        self._shown = -1  # last tenth printed (non-terminal mode)
        self._closed = False

    def __call__(self, n: int) -> None:
        self.done += n
        if self.live:
            self._write("\r" + self._line())
        elif (tenth := min(10, self.done * 10 // self.total)) > self._shown:
            self._shown = tenth
            self._write(self._line() + "\n")

    def close(self) -> None:
        """End the display (a sync that stopped early leaves its last count showing)."""
        if not self._closed and self.live:
            self._write("\r" + self._line() + "\n")
        self._closed = True

    def _line(self) -> str:
        pct = min(100, self.done * 100 // self.total)
        return f"{self.label}: {self.done}/{self.total} rows ({pct}%) {time.monotonic() - self.started:.1f}s"

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def progress_for(label: str, total: int, *, force: bool = False, quiet: bool = False,
                 stream: TextIO | None = None) -> Progress | None:
    """A display for `total` rows, or None: never when quiet or empty; else when forced, or on
    a terminal once the sync is large enough to take a noticeable time."""
    out = stream if stream is not None else sys.stderr
    if quiet or total <= 0:
        return None
    live = out.isatty()
    if not force and not (live and total >= MIN_ROWS):
        return None
    return Progress(label, total, out, live)
