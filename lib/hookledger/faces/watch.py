"""`hookledger watch`: a live, full-screen view of a session while its agents work.

Redrawn in place (rich Live on the alternate screen: no clearing, no flicker) once a second,
and at once when the ledger changes: the ledger is looked at four times a second, but only a
change marker (faces.inspect.live.change_marker) unless something was committed, so an idle
view costs next to nothing. Reads through a read-only connection with short statements: a
hook is never kept waiting. `q` or Ctrl-C quits and gives the terminal back as it was.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time
from typing import Any

from hookledger.faces.inspect.format import agent_label, human_count, human_duration, local_time, one_line
from hookledger.faces.table import Col
from hookledger.hotpath.timeutil import parse_utc

POLL_S = 0.25  # how often the change marker is read
REDRAW_S = 1.0  # the clock and the "for" column move even when nothing is recorded
SECTION_ROWS = {"agents": 8, "held": 6, "conflicts": 3, "errors": 5}

AGENT_COLS = [Col("agent", "agent", "id"), Col("doing", "doing now", "line"), Col("for", "for", "word"),
              Col("task", "task", "line", drop=1)]
HELD_COLS = [Col("file_path", "file", "line"), Col("holder", "held by", "id"), Col("since", "since", "clock")]
CONFLICT_COLS = [Col("timestamp", "when", "clock"), Col("file_path", "file", "line"), Col("agent", "wanted by", "id"),
                 Col("holder", "held by", "id"), Col("answer", "answer", "word", style=lambda v: "red" if v == "deny" else "yellow")]
ERROR_COLS = [Col("what", "what failed", "line"), Col("attempts", "tries", "num"),
              Col("state", "state", "word", style=lambda v: "red" if v != "open" else "yellow"),
              Col("last_at", "last", "clock", drop=1), Col("last_error", "last error", "line")]
EVENT_COLS = [Col("at", "time", "clock"), Col("agent", "agent", "id"), Col("what", "event", "word"),
              Col("outcome", "outcome", "word",
                  style=lambda v: {"answered": "cyan", "blocked": "red", "error": "red", "bad_input": "red"}.get(v)),
              Col("detail", "detail", "line")]


def _ago(text: str | None, now: float) -> str:
    at = parse_utc(text)
    return "" if at is None else human_duration(max(0.0, now - at))


def _tokens(tokens: dict[str, Any] | None) -> str:
    if not tokens:
        return "tokens: not read yet"  # the transcript is read at Stop, compaction and session end
    return (f"tokens {human_count(tokens['input_tokens'])} in / {human_count(tokens['output_tokens'])} out"
            f" (cache {human_count(tokens['cache_read_input_tokens'])} read"
            f" / {human_count(tokens['cache_creation_input_tokens'])} written)")


def rows_for(snap: dict[str, Any], now: float) -> dict[str, list[dict[str, Any]]]:
    """The view's tables as rows, from a live.snapshot()."""
    from hookledger.faces.inspect.format import event_name, outcome_word

    sid = snap["session"].get("session_id") or ""
    types = snap["agent_types"]
    label = lambda agent_id, agent_type=None: agent_label(agent_id, agent_type or types.get(agent_id), sid)  # noqa: E731
    agents = []
    for a in snap["agents"]:
        act = snap["activity"].get(a["agent_id"], {})
        if a["status"] != "running":
            doing, since = f"{a['status'] or 'not running'} (last: {act.get('last_event') or '-'})", act.get("last_at")
        elif act.get("tool"):
            doing, since = f"{act['tool']}: {act['tool_detail']}".rstrip(": "), act["tool_since"]
        else:
            doing, since = f"waiting (last: {act.get('last_event') or 'nothing yet'})", act.get("last_at") or a["last_event_at"]
        agents.append({"agent": label(a["agent_id"], a["agent_type"]), "doing": doing, "for": _ago(since, now),
                       "task": a["task_description"]})
    held = [{**h, "holder": label(h["agent_id"], h["agent_type"])} for h in snap["held"]]
    conflicts = [{**c, "agent": label(c["agent_id"], c["agent_type"]),
                  "holder": label(c["holder_agent_id"], c["holder_agent_type"])} for c in snap["conflicts"]]
    errors = [{**e, "what": e["command"] or e["what"], "state": e["escalation"] or e["resolution"] or "open",
               "last_error": one_line(e["last_error"], 200)} for e in snap["errors"]]
    events = [{**m, "agent": label(m["agent_id"]), "what": event_name(m["event"], m["tool_name"], m["kind"]),
               "outcome": outcome_word(m["kind"], m["outcome"])} for m in snap["moments"]]
    return {"agents": agents, "held": held, "conflicts": conflicts, "errors": errors, "events": events}


def _section(title: str, found: list[dict[str, Any]], cols: list[Col], width: int):
    """A section: its title, then its table with a header and no rule (a line saved)."""
    from rich.console import Group
    from rich.text import Text

    from hookledger.faces.table import render

    return Group(Text(title, style="bold cyan"), render(found, cols, width, json_hint=False, rule=False))


def _header(snap: dict[str, Any], width: int, now: float):
    from rich.text import Text

    from hookledger.faces.inspect.pricing import usd

    s = snap["session"]
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    state = s.get("status") or "?"
    if state == "active":
        state = f"active for {_ago(s.get('started_at'), now) or '?'}, last event {_ago(s.get('last_event_at'), now) or '-'} ago"
    else:
        state = f"{state}, took {human_duration(s.get('duration_s')) or '-'}"
    right = f"{clock}  q quits"
    head = Text(f"hookledger watch · session {(s.get('session_id') or '')[:8]} · {state}", style="bold")
    head.truncate(max(10, width - len(right) - 1), overflow="ellipsis")
    head.append(" " * max(1, width - head.cell_len - len(right)) + right, style="dim")
    cost = usd(snap.get("cost"))
    facts = Text(f"{s.get('tool_calls') or 0} tool calls · {s.get('errors') or 0} errors · "
                 f"{s.get('compactions') or 0} compactions · cost {cost or 'not priced'}\n{_tokens(snap['tokens'])}",
                 style="dim")
    return head, facts


def frame(snap: dict[str, Any] | None, width: int, height: int, now: float, note: str = ""):
    """One screen of the view for a terminal `width` x `height`: the sections that have
    something to show, each at most a share of the rows, and the latest events below."""
    from rich.console import Group
    from rich.text import Text

    from hookledger.faces.table import render

    if snap is None:
        clock = time.strftime("%H:%M:%S", time.localtime(now))
        return Group(Text(f"hookledger watch   {clock}   q quits", style="bold"), Text(""),
                     Text(note or "no session recorded yet: waiting for the first hook run..."))
    rows = rows_for(snap, now)
    running = sum(a["status"] == "running" for a in snap["agents"])
    sections = [("agents", f"Agents ({running} running)", AGENT_COLS, "no agent running"),
                ("errors", f"Open errors and escalations ({len(rows['errors'])})", ERROR_COLS, "no open error"),
                ("held", f"Files held ({len(rows['held'])})", HELD_COLS, "no file held"),
                ("conflicts", f"Claim conflicts ({len(rows['conflicts'])} latest)", CONFLICT_COLS, None)]
    shown = [x for x in sections if rows[x[0]]]
    empties = [x[3] for x in sections if not rows[x[0]] and x[3]]
    free = height - 3 - 2 * len(shown) - 2 - (1 if empties else 0) - (1 if note else 0)  # titles and headers
    events_min = max(3, free // 3)
    budget = max(0, free - events_min)
    caps = {}
    for key, *_ in shown:  # in order of importance, each at most its own cap
        caps[key] = min(len(rows[key]), SECTION_ROWS[key], max(1, budget))
        budget -= caps[key]
    head, facts = _header(snap, width, now)
    parts: list[Any] = [head, facts]
    for key, title, cols, _ in shown:
        found = rows[key]
        more = len(found) - caps[key]
        parts.append(_section(title if more <= 0 else f"{title}, {more} more", found[:caps[key]], cols, width))
    if empties:
        parts.append(Text(" · ".join(empties), style="dim"))
    room = max(1, height - 3 - sum(caps.values()) - 2 * len(shown) - (1 if empties else 0) - 2 - (1 if note else 0))
    if note:
        parts.append(Text(note, style="yellow"))
    parts.append(_section("Latest events", rows["events"][:room], EVENT_COLS, width)
                 if rows["events"] else Text("no events yet", style="dim"))
    return Group(*parts)


class _Keys:
    """Single keys from the terminal (cbreak mode: no echo, no Enter needed, Ctrl-C still works)."""

    def __init__(self) -> None:
        self.fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else None
        self.saved: Any = None

    def __enter__(self) -> _Keys:
        if self.fd is not None:
            import termios
            import tty

            self.saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            import termios

            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)

    def wait(self, seconds: float) -> str:
        """A key pressed within `seconds` ('' when none)."""
        if self.fd is None:
            time.sleep(seconds)
            return ""
        ready, _, _ = select.select([self.fd], [], [], seconds)
        return os.read(self.fd, 32).decode("utf-8", "replace") if ready else ""


def _load(conn: Any, wanted: str | None) -> tuple[dict[str, Any] | None, str]:
    from hookledger.faces.inspect import live, pricing

    sid = wanted or live.latest_session(conn)
    if sid is None:
        return None, ""
    snap = live.snapshot(conn, sid)
    snap["cost"] = pricing.session_cost(conn, sid)
    return snap, ""


def run(db_path: str, session_id: str | None, *, once: bool = False) -> None:
    """The live view until `q` or Ctrl-C (or one frame with `once`). `session_id` None: follow
    the latest session, switching when a new one starts."""
    import sqlite3

    from rich.console import Console
    from rich.live import Live

    from hookledger.faces.inspect import live

    conn = live.open_readonly(db_path)
    no_color = bool(os.environ.get("NO_COLOR"))
    out = Console(no_color=no_color, highlight=False, markup=False, emoji=False)
    marker: Any = None
    snap, note = None, ""
    if once:
        snap, note = _load(conn, session_id)
        out.print(frame(snap, out.width, out.height, time.time(), note))
        return

    def stop(signum: int, frame_: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with _Keys() as keys, Live(console=out, screen=True, auto_refresh=False, transient=False) as view:
            drawn = 0.0
            while True:
                try:
                    now_marker = live.change_marker(conn)
                    if now_marker != marker:
                        snap, note = _load(conn, session_id)
                        marker, drawn = now_marker, 0.0
                except sqlite3.OperationalError as exc:  # busy or mid-checkpoint: try again next tick
                    note = f"ledger busy ({exc}); retrying"
                now = time.time()
                if now - drawn >= REDRAW_S:
                    view.update(frame(snap, out.width, out.height, now, note), refresh=True)
                    drawn = now
                if keys.wait(POLL_S)[:1] in ("q", "Q", "\x03"):  # Ctrl-C read as a key: no controlling tty
                    break
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        conn.close()
