"""The one table helper of the CLI: rows of dicts printed to fit the terminal.

Each column says what it holds, and that decides how it gives way when the terminal is narrow:
- `id`: something people type back (a session prefix, an agent label, a task id): never cut.
- `num`, `time`, `clock`, `word`: short values, kept whole, right-aligned numbers.
- `text`: free text, wrapped (long words folded): nothing is lost.
- `line`: free text on one line, cut with an ellipsis (a timeline's detail).
Free-text columns share what the others leave; when even their minimums do not fit, columns
with a `drop` rank go, highest first, and a note under the table says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from hookledger.faces.inspect.format import local_time

GAP = 2  # spaces between columns
# A free-text column is not squeezed below a third of the terminal (or its header, or what it
# holds): optional columns go first.
FLEX_SHARE = 3


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str = "text"  # id | num | time | clock | word | text | line
    drop: int = 0  # 0: always shown; otherwise dropped (highest first) when the terminal is too narrow
    style: Callable[[Any], str | None] | None = None  # per value: a rich style (applied on terminals only)


def cell(value: Any, kind: str) -> str:
    """A value as the table shows it: times local to the second, None as empty."""
    if value is None:
        return ""
    if kind in ("time", "clock") and hasattr(value, "astimezone"):  # a datetime (from PostgreSQL)
        return value.astimezone().strftime("%H:%M:%S" if kind == "clock" else "%Y-%m-%d %H:%M:%S")
    if kind in ("time", "clock"):
        return local_time(value, clock=kind == "clock")
    if isinstance(value, float):
        return f"{value:g}"
    return " ".join(str(value).split()) if kind == "line" else str(value)


def _natural(col: Col, cells: list[str]) -> int:
    from rich.cells import cell_len

    return max([cell_len(col.header)] + [max((cell_len(line) for line in c.splitlines()), default=0) for c in cells])


def _flexible(col: Col) -> bool:
    return col.kind in ("text", "line")


def _minimum(col: Col, natural: int, width: int) -> int:
    return min(natural, max(width // FLEX_SHARE, len(col.header))) if _flexible(col) else natural


def layout(cols: list[Col], cells: dict[str, list[str]], width: int) -> tuple[list[Col], list[int], list[Col]]:
    """(shown columns, their widths, dropped columns) for a terminal `width` wide."""
    shown = [c for c in cols if any(cells[c.key])]  # a column with nothing in it says nothing
    natural = {c.key: _natural(c, cells[c.key]) for c in cols}
    dropped: list[Col] = []
    while True:
        need = sum(_minimum(c, natural[c.key], width) for c in shown) + GAP * (len(shown) - 1)
        candidates = [c for c in shown if c.drop]
        if need <= width or not candidates:
            break
        victim = max(candidates, key=lambda c: (c.drop, shown.index(c)))
        shown.remove(victim)
        dropped.append(victim)
    flex = [c for c in shown if _flexible(c)]
    widths = {c.key: natural[c.key] for c in shown if not _flexible(c)}
    room = width - sum(widths.values()) - GAP * (len(shown) - 1)
    # Water-filling: columns that need less than an equal share get what they need.
    pending = sorted(flex, key=lambda c: natural[c.key])
    while pending:
        share = room // len(pending)
        col = pending[0]
        if natural[col.key] <= share:
            widths[col.key] = natural[col.key]
        else:
            for n, c in enumerate(pending):  # what is left, split evenly (never below the header)
                widths[c.key] = max(min(natural[c.key], len(c.header)), room // len(pending) + (n < room % len(pending)))
            break
        room -= widths[col.key]
        pending.pop(0)
    return shown, [widths[c.key] for c in shown], dropped


def render(rows: list[dict[str, Any]], cols: list[Col], width: int, *, title: str | None = None,
           json_hint: bool = True, header: bool = True, rule: bool = True):
    """A rich renderable of `rows` (a Table, plus a note about columns left out)."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    cells = {c.key: [cell(r.get(c.key), c.kind) for r in rows] for c in cols}
    shown, widths, dropped = layout(cols, cells, width)
    # A rule under the header (readable without colour); columns are one space and a blank divider apart.
    table = Table(box=box.SIMPLE_HEAD if rule else None, show_edge=False, pad_edge=False, padding=(0, GAP - 1, 0, 0) if rule else (0, GAP, 0, 0),
                  header_style="bold", title=title, title_justify="left", title_style="bold", expand=False,
                  show_header=header)
    for col, w in zip(shown, widths):
        table.add_column(col.header, width=w, no_wrap=col.kind != "text",
                         overflow="fold" if col.kind == "text" else "ellipsis",
                         justify="right" if col.kind == "num" else "left")
    for i, row in enumerate(rows):
        table.add_row(*[Text(cells[c.key][i], style=(c.style(row.get(c.key)) or "") if c.style else "")
                        for c in shown])
    parts: list[Any] = [table]
    if dropped and json_hint:
        parts.append(Text(f"(not shown at {width} columns: {', '.join(c.header for c in reversed(dropped))};"
                          " --json has them)", style="dim"))
    return Group(*parts)


def print_table(rows: list[dict[str, Any]], cols: list[Col], *, empty: str, title: str | None = None,
                header: bool = True) -> None:
    """Print `rows` as a table as wide as the terminal, or `empty` when there are none."""
    from hookledger.faces.output import console, print_trimmed, say

    if not rows:
        say(empty)
        return
    out = console()
    print_trimmed(out, render(rows, cols, out.width, title=title, header=header))
