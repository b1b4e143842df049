"""llm_verdicts rows: reading a judge's JSON, writing verdicts, and the queries the gate needs.

Shared by the TaskCompleted gate (hot path: stdlib only) and `hookledger verdict(s)`.
Row kinds, by hook_event / source:
- 'TaskCompleted' / observe|checks|judge: the gate's decision on one completion attempt;
- 'judge' / 'judge:<name>': a verdict recorded for a task by an external judge, applied by
  the next TaskCompleted of that task in judge mode;
- 'TaskCompleted' / 'hook_feedback': another hook blocked the completion (seen in the
  TaskUpdate result), recorded so every block of a task is on file.
"""

from __future__ import annotations

import json
import sqlite3
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

from hookledger.redact import redact

if TYPE_CHECKING:
    from typing import Any

GATE_EVENT = "TaskCompleted"
JUDGE_EVENT = "judge"
REASON_MAX = 4000
_ALLOW = {"allow", "approve", "approved", "ok", "pass", "passed", "yes"}
_BLOCK = {"block", "deny", "denied", "reject", "rejected", "fail", "failed", "no"}


class BadVerdict(ValueError):
    """The judge's JSON says neither allow nor block."""


def parse_judge(obj: Any) -> tuple[str, str | None]:
    """(decision, reason) from a judge's answer: {"ok": bool, "reason": ...} (Claude Code's
    prompt/agent hook shape) or {"decision": "allow"|"block", "reason": ...}."""
    if not isinstance(obj, dict):
        raise BadVerdict("a verdict is a JSON object such as {\"ok\": false, \"reason\": \"...\"}")
    reason = obj.get("reason")
    reason = reason if isinstance(reason, str) and reason.strip() else None
    ok = obj.get("ok")
    if isinstance(ok, bool):
        return ("allow" if ok else "block"), reason
    decision = obj.get("decision")
    word = decision.strip().lower() if isinstance(decision, str) else ""
    if word in _ALLOW:
        return "allow", reason
    if word in _BLOCK:
        return "block", reason
    raise BadVerdict('a verdict needs "ok": true|false or "decision": "allow"|"block"')


def record(conn: sqlite3.Connection, *, session_id: str, task_id: str | None, hook_event: str, source: str,
           decision: str, reason: str | None, verdict: dict[str, Any], now: str) -> int:
    """Insert one verdict (free text redacted); returns its id."""
    cur = conn.execute(
        "INSERT INTO llm_verdicts (session_id, timestamp, hook_event, task_id, verdict_json, decision, reason, source)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (session_id, now, hook_event, task_id, redact(json.dumps(verdict, ensure_ascii=False, default=str)),
         decision, redact(reason)[:REASON_MAX] if reason else None, source))
    return int(cur.lastrowid or 0)


def consecutive_blocks(conn: sqlite3.Connection, session_id: str, task_id: str, limit: int) -> int:
    """How many of the gate's latest decisions on this task were blocks, back to the last allow
    (counted up to `limit`). Blocks by other hooks do not count: the guard is about our loop."""
    count = 0
    for (decision,) in conn.execute(
            "SELECT decision FROM llm_verdicts WHERE session_id = ? AND task_id = ? AND hook_event = ?"
            " AND coalesce(source, '') != 'hook_feedback' ORDER BY id DESC LIMIT ?",
            (session_id, task_id, GATE_EVENT, max(limit, 0))):
        if decision != "block":
            break
        count += 1
    return count


def pending_judge(conn: sqlite3.Connection, session_id: str, task_id: str) -> dict[str, Any] | None:
    """The newest judge verdict for this task recorded after the gate's last decision on it
    (each judge verdict is applied once), or None."""
    row = conn.execute(
        "SELECT id, timestamp, decision, reason, source, verdict_json FROM llm_verdicts"
        " WHERE session_id = ? AND task_id = ? AND hook_event = ? AND id > coalesce(("
        "   SELECT max(id) FROM llm_verdicts WHERE session_id = ? AND task_id = ? AND hook_event = ?"
        "   AND coalesce(source, '') != 'hook_feedback'), 0)"
        " ORDER BY id DESC LIMIT 1",
        (session_id, task_id, JUDGE_EVENT, session_id, task_id, GATE_EVENT)).fetchone()
    if row is None:
        return None
    return dict(zip(("id", "timestamp", "decision", "reason", "source", "verdict_json"), row))
