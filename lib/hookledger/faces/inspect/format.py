"""Small formatters shared by the CLI tables, the live view and the HTML report (plain text)."""

from __future__ import annotations

import re
import time
from typing import Any

from hookledger.hotpath.timeutil import parse_utc

# A whole value in the ledger's timestamp format (UTC): 'YYYY-MM-DD HH:MM:SS' and optional fraction.
LEDGER_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?Z?")


def human_size(size: float) -> str:
    """Bytes as B, KB, MB or GB (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def human_duration(seconds: Any) -> str:
    """Seconds as '850 ms', '42 s', '12m05s' or '3h07m'; '' when unknown."""
    if not isinstance(seconds, (int, float)):
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def human_count(n: Any) -> str:
    """12345 -> '12.3k', 2500000 -> '2.5M'; '' when unknown."""
    if not isinstance(n, (int, float)):
        return ""
    for limit, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            return f"{n / limit:.1f}{unit}"
    return f"{n:.0f}"


def agent_label(agent_id: str | None, agent_type: str | None, session_id: str | None = None) -> str:
    """'main' for a session's main thread, else '<type>·<first 8 of the id>'.

    A main thread of another session than `session_id` (when one is given) is 'main·<8 of its
    session>', so labels stay unambiguous in a table of one session."""
    if not agent_id or agent_id == f"main:{session_id}":
        return "main"
    if agent_id.startswith("main:"):
        return "main" if session_id is None else f"main\u00b7{agent_id[5:13]}"
    return f"{agent_type or 'agent'}\u00b7{agent_id[:8]}"


RULER = re.compile(r"([=\-_*#~])\1{4,}")  # a test runner's ===== or ----- separator line


def one_line(text: Any, width: int) -> str:
    """Text on one line (separator rulers shortened to three characters), cut to `width`
    characters with an ellipsis."""
    flat = " ".join(RULER.sub(r"\1\1\1", str(text or "")).split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"


def local_time(text: Any, *, clock: bool = False) -> str:
    """A ledger timestamp (UTC) in the local zone, to the second: 'YYYY-MM-DD HH:MM:SS', or
    'HH:MM:SS' with `clock`; '' when there is none, the text itself when it is no timestamp."""
    at = parse_utc(text) if isinstance(text, str) else None
    if at is None:
        return "" if text is None else str(text)
    return time.strftime("%H:%M:%S" if clock else "%Y-%m-%d %H:%M:%S", time.localtime(at))


def iso_utc(text: str) -> str:
    """A ledger timestamp as ISO 8601 UTC ('2026-01-02T03:04:05.678Z'), for JSON."""
    at = parse_utc(text)
    if at is None:
        return text
    secs, millis = divmod(int(round(at * 1000)), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{millis:03d}Z"


# What a moment that is not a hook run is called (its `event` column says more: an operation,
# a category, a policy, an agent type).
KIND_NAMES = {"file_change": "file", "error": "tool error", "conflict": "conflict", "failed_path": "failed path",
              "agent_start": "agent start", "agent_stop": "agent stop"}
QUIET_OUTCOMES = (None, "ok", "done")  # outcomes not worth a word in a table


def outcome_word(kind: str | None, outcome: str | None) -> str | None:
    """The outcome when it says something: answered, blocked, error, a failed write, an
    escalation; not for agents (their moment's outcome is the agent's status)."""
    return None if outcome in QUIET_OUTCOMES or (kind or "").startswith("agent_") else outcome


def event_name(event: str | None, tool: str | None, kind: str | None = None) -> str:
    """'PreToolUse Write' for a hook run; 'file Write', 'tool error runtime', 'agent start' for
    what runs recorded (a file change's operation once, not twice)."""
    if kind in KIND_NAMES:
        word = KIND_NAMES[kind]
        return word if kind.startswith("agent_") else f"{word} {event or ''}".strip()
    return f"{event or ''} {tool}".strip() if tool and tool != event else (event or "")
