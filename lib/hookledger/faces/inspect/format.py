"""Small formatters shared by the CLI tables and the HTML report (plain text, no markup)."""

from __future__ import annotations

from typing import Any


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


def agent_label(agent_id: str | None, agent_type: str | None, session_id: str) -> str:
    """'main thread' for the session's main agent, else '<type> <first 8 of the id>'."""
    if not agent_id or agent_id == f"main:{session_id}":
        return "main thread"
    if agent_id.startswith("main:"):
        return f"main thread of {agent_id[5:13]}"
    return f"{agent_type or 'agent'} {agent_id[:8]}"


def one_line(text: Any, width: int) -> str:
    """Text on one line, cut to `width` characters with an ellipsis."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "\u2026"
