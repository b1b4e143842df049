"""Where the CLI's words go: a rich console sized to the terminal for people, plain JSON for scripts.

Colour only on a terminal (rich's own detection), never when piped, never in --json, and not
at all when NO_COLOR is set. Every line for people goes through `console()` so it wraps at the
terminal's width; JSON goes through `echo_json`, whose times are ISO 8601 UTC.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from hookledger.faces.inspect.format import LEDGER_TIME, iso_utc

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_WIDTH = 80  # tables with no terminal to fit (a log, a script): as wide as a classic one


def terminal_width(stream: Any = None) -> int | None:
    """COLUMNS when set, else the width of the terminal behind stdout (or stderr, when stdout is
    a pipe into `less` or a file); None with no terminal at all (a log, a script)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for candidate in (stream or sys.stdout, sys.stderr):
        try:
            return os.get_terminal_size(candidate.fileno()).columns or None
        except (AttributeError, OSError, ValueError):
            continue
    return None


def console(*, stderr: bool = False) -> Console:
    """A rich Console on the current stdout (or stderr; click's test runner swaps them), as wide
    as the terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=terminal_width(stream) or DEFAULT_WIDTH, no_color=bool(os.environ.get("NO_COLOR")),
                   highlight=False, markup=False, emoji=False, soft_wrap=False)


def print_trimmed(out: Console, renderable: Any) -> None:
    """Print `renderable` without the blanks rich pads each line with to the table's width (a
    copied or grepped line then ends where its text does)."""
    from rich.segment import Segment, Segments

    segments: list[Segment] = []
    for line in out.render_lines(renderable, out.options, pad=False, new_lines=False):
        while line and not line[-1].control and not line[-1].text.strip(" "):
            line.pop()
        if line:
            last = line[-1]
            line[-1] = Segment(last.text.rstrip(" "), last.style, last.control)
        segments += [*line, Segment.line()]
    out.print(Segments(segments), end="")


def say(text: str = "", *, style: str | None = None, stderr: bool = False) -> None:
    """One message for people, wrapped at the terminal's width (whole, with no terminal: a
    script or a log gets each message on one line)."""
    from rich.text import Text

    out = console(stderr=stderr)
    out.print(Text(text, style=style or ""), soft_wrap=terminal_width(out.file) is None)


def utc_times(value: Any) -> Any:
    """`value` with every ledger timestamp turned into ISO 8601 UTC (lists and dicts walked)."""
    if isinstance(value, str):
        return iso_utc(value) if LEDGER_TIME.fullmatch(value) else value
    if isinstance(value, dict):
        return {k: utc_times(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [utc_times(v) for v in value]
    return value


def echo_json(value: Any) -> None:
    """`value` as indented JSON on stdout: full ids, times in ISO 8601 UTC, no colour ever."""
    click.echo(json.dumps(utc_times(value), indent=2, ensure_ascii=False, default=str))
