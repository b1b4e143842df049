"""The hook_events audit row: one per hook run, with a capped, redacted payload summary."""

from __future__ import annotations

import json
import sqlite3
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

from hookledger.hotpath.redact import is_secret_key, mark_redacted, redact

SUMMARY_MAX = 2048  # chars per payload summary: bounds the audit table's growth
RAW_MAX = 4096  # chars of raw input kept for a run whose input could not be read
_STRING_MAX = 240
_LIST_MAX = 12
_DEPTH_MAX = 4
# Long free text that says little in an audit row: keep only its size.
_BULK_FIELDS = frozenset({"content", "new_string", "old_string", "originalFile", "structuredPatch",
                          "compact_summary", "last_assistant_message", "stdout", "stderr", "edits",
                          "new_source", "prompt"})


def _shrink(value: Any, depth: int = 0, key: str = "") -> Any:
    if key and is_secret_key(key) and isinstance(value, (str, int, float)):
        return "[REDACTED]"
    if isinstance(value, str):
        if key in _BULK_FIELDS and len(value) > 80:
            return f"<{len(value)} chars>"
        if len(value) > _STRING_MAX:
            # Redact a window wider than what is kept, so a secret straddling the cut is caught.
            return redact(value[: _STRING_MAX + 200])[:_STRING_MAX] + f"...(+{len(value) - _STRING_MAX} chars)"
        return redact(value)
    if depth >= _DEPTH_MAX:
        return "<nested>" if isinstance(value, (dict, list)) else value
    if isinstance(value, dict):
        return {redact(str(k)): _shrink(v, depth + 1, str(k)) for k, v in list(value.items())[:40]}
    if isinstance(value, list):
        items = [_shrink(v, depth + 1, key) for v in value[:_LIST_MAX]]
        if len(value) > _LIST_MAX:
            items.append(f"...(+{len(value) - _LIST_MAX} items)")
        return items
    return value


def summarize(payload: dict[str, Any], limit: int = SUMMARY_MAX) -> str:
    """A compact JSON rendering of the payload: bulky text reduced to its size, secrets redacted."""
    text = json.dumps(_shrink(payload), ensure_ascii=False, default=str)
    # Built from redacted parts only: the ledger's choke point need not scan it again.
    return mark_redacted(text if len(text) <= limit else text[: limit - 15] + "...(truncated)")


def summarize_raw(raw: bytes, limit: int = RAW_MAX) -> str:
    """Raw input kept for inspection when it could not be parsed: decoded leniently, redacted, capped."""
    head = raw[: limit + 512].decode("utf-8", "replace")
    text = redact(head)
    if len(text) > limit or len(raw) > limit + 512:
        text = text[:limit] + f"...(truncated, {len(raw)} bytes in all)"
    return text


def answer_text(stdout: str, stderr: str, exit_code: int) -> str | None:
    """What a run told Claude Code, redacted: its stdout JSON, or the stderr of an exit-2 block
    (which the model reads). None when it said nothing."""
    if stdout:
        return redact(stdout)
    if exit_code == 2 and stderr:
        return redact(stderr)
    return None


def record(conn: sqlite3.Connection, row: dict[str, Any]) -> bool:
    """Insert the audit row; False when this event_uid is already recorded (a replay twice)."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO hook_events (event_uid, session_id, timestamp, event_type, dispatcher,"
        " payload_summary, exit_code, duration_ms, agent_id, tool_name, tool_use_id, outcome, error, replayed,"
        " answer) VALUES (:event_uid, :session_id, :timestamp, :event_type, :dispatcher, :payload_summary,"
        " :exit_code, :duration_ms, :agent_id, :tool_name, :tool_use_id, :outcome, :error, :replayed, :answer)",
        {
            "event_uid": None, "session_id": None, "timestamp": None, "event_type": None,
            "dispatcher": None, "payload_summary": None, "exit_code": 0, "duration_ms": None,
            "agent_id": None, "tool_name": None, "tool_use_id": None, "outcome": "ok",
            "error": None, "replayed": 0, "answer": None, **row,
        },
    )
    return cur.rowcount == 1


def already_recorded(conn: sqlite3.Connection, event_uid: str) -> bool:
    return conn.execute("SELECT 1 FROM hook_events WHERE event_uid = ?", (event_uid,)).fetchone() is not None
