"""Progress bars for the CLI's long work (sync, import, prune), on stderr.

`start` is the starter the commands hand to the libraries (see knowledge/progress.py). On a
terminal: a rich bar (label, bar, done/total, percent, elapsed), drawn only for work large
enough to take a noticeable time unless asked; in a pipe or a log only when asked
(`--progress`), as a line per tenth of the work so the log stays short; never with --quiet.
stdout is left alone: scripts parse the summary printed there.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, TextIO

from hookledger.knowledge.progress import Progress

MIN_UNITS = 1000  # less work than this finishes in well under a second: no bar unless asked


class LinesProgress(Progress):
    """A line per tenth of the work: for logs and pipes."""

    def __init__(self, label: str, total: int, stream: TextIO, unit: str) -> None:
        super().__init__(label, total)
        self.stream, self.unit, self.started, self._tenth = stream, unit, time.monotonic(), -1

    def shown(self) -> None:
        tenth = min(10, self.done * 10 // self.total)
        if tenth > self._tenth:
            self._tenth = tenth
            pct = min(100, self.done * 100 // self.total)
            self.stream.write(f"{self.label}: {self.done}/{self.total}{' ' + self.unit if self.unit else ''} ({pct}%)"
                              f" {time.monotonic() - self.started:.1f}s\n")
            self.stream.flush()


class BarProgress(Progress):
    """A rich progress bar on a terminal, redrawn in place."""

    def __init__(self, label: str, total: int, stream: TextIO, unit: str) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as Bars, TaskProgressColumn, TextColumn,
                                   TimeElapsedColumn)

        super().__init__(label, total)
        console = Console(file=stream, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)
        columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()] + ([TextColumn(unit)] if unit else [])
        self.bars = Bars(*columns, TaskProgressColumn(), TimeElapsedColumn(), console=console, transient=False)
        self.task = self.bars.add_task(label, total=self.total)
        self.bars.start()

    def shown(self) -> None:
        self.bars.update(self.task, completed=min(self.done, self.total))

    def close(self) -> None:
        self.bars.refresh()
        self.bars.stop()


def starter(*, force: bool = False, quiet: bool = False, unit: str = "rows", min_units: int = MIN_UNITS,
            stream: TextIO | None = None) -> Any:
    """The starter a command passes to long work, with the command's --progress / --quiet."""
    def start(label: str, total: int) -> Progress | None:
        out = stream if stream is not None else sys.stderr
        if quiet or total <= 0:
            return None
        live = out.isatty()
        if not force and not (live and total >= min_units):
            return None
        return BarProgress(label, total, out, unit) if live else LinesProgress(label, total, out, unit)

    return start
