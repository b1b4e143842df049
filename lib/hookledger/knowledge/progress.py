"""How long work says how far it got, without knowing who draws it.

Long work (sync, transcript import, prune) takes a *starter*: called with a label and the
total units of work, it returns a `Progress` (or None: nothing is shown). The work calls the
progress with the units just done and closes it at the end. The CLI passes the one starter
that draws bars (hookledger.faces.progress.start); libraries and tests pass None or a plain
function. Pure: nothing here prints.
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing

if TYPE_CHECKING:
    from collections.abc import Callable

    Starter = Callable[[str, int], "Progress | None"]  # (label, total units) -> a progress, or None


class Progress:
    """Counts units done against a total. This base shows nothing: subclasses draw."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(int(total), 1), 0

    def __call__(self, n: int = 1) -> None:
        self.done += n
        self.shown()

    def shown(self) -> None:
        """Draw the new count (nothing here)."""

    def close(self) -> None:
        """The work is over (or stopped early: the last count stays)."""


def begin(starter: Starter | None, label: str, total: int) -> Progress:
    """A progress from `starter`, or one that shows nothing (no starter, or it declined)."""
    found = starter(label, total) if starter is not None else None
    return found if found is not None else Progress(label, total)
