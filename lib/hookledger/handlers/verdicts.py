"""llm_verdicts rows: reading a judge's JSON, writing verdicts, and the queries the gate needs.

Shared by the TaskCompleted gate (hot path: stdlib only) and `hookledger verdict(s)`.
Row kinds, by hook_event / source:
- 'TaskCompleted' / observe|checks|judge (GATE_SOURCES): the gate's decision on one completion
  attempt ("the attempt"); the loop guard counts these.
- 'TaskCompleted' / 'judge:<name>': a judge's verdict on the attempt in progress, recorded by
  `hookledger verdict record` while the attempt was open (a Claude Code agent hook running beside
  the gate); `verdict_json.attempt` is the gate row's id. Claude Code enforces that judge's answer
  itself; the row is the record of it.
- 'judge' / 'judge:<name>': a standing verdict for a task, recorded before its completion; the
  task's next TaskCompleted in judge mode applies it (once).
- 'TaskUpdate' / 'hooks': what the TaskUpdate result showed about the attempt: 'block' when
  another TaskCompleted hook (a prompt/agent judge, another gate) stopped a completion hookledger
  allowed, with its feedback; in judge mode also 'allow' when the completion went through.
"""

from __future__ import annotations

import json
import sqlite3
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

from hookledger.hotpath.redact import redact

if TYPE_CHECKING:
    from typing import Any

GATE_EVENT = "TaskCompleted"
JUDGE_EVENT = "judge"
OUTCOME_EVENT = "TaskUpdate"
OUTCOME_SOURCE = "hooks"
GATE_SOURCES = ("observe", "checks", "judge")
JUDGE_PREFIX = "judge:"
# An attempt stays open (a judge may still answer it) until the TaskUpdate result arrives, or
# this long: Claude Code's longest hook timeout.
ATTEMPT_WINDOW_S = 600
REASON_MAX = 4000
_ALLOW = {"allow", "approve", "approved", "ok", "pass", "passed", "yes"}
_BLOCK = {"block", "deny", "denied", "reject", "rejected", "fail", "failed", "no"}


def _gate_rows(alias: str = "") -> str:
    """The SQL condition for the gate's own rows (optionally on a table alias)."""
    return f"{alias}hook_event = '{GATE_EVENT}' AND {alias}source IN {GATE_SOURCES!r}"


_GATE_ROWS = _gate_rows()
_COLUMNS = ("id", "session_id", "timestamp", "hook_event", "task_id", "decision", "reason", "source", "verdict_json")


class BadVerdict(ValueError):
    """The judge's JSON says neither allow nor block."""


def load_judge(text: str) -> Any:
    """A judge's answer as JSON. Models often wrap their JSON in prose or a ```json fence:
    then the outermost {...} is taken."""
    try:
        return json.loads(text)
    except ValueError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(text[start:end + 1])
            except ValueError:
                pass
    raise BadVerdict("the verdict is not JSON (expected e.g. {\"ok\": false, \"reason\": \"...\"})")


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


def _row(row: tuple | None) -> dict[str, Any] | None:
    return dict(zip(_COLUMNS, row)) if row else None


def consecutive_blocks(conn: sqlite3.Connection, session_id: str, task_id: str, limit: int) -> int:
    """How many of the gate's latest decisions on this task were blocks, back to the last allow
    (counted up to `limit`). Blocks by other hooks do not count: the guard is about our loop."""
    count = 0
    for (decision,) in conn.execute(
            f"SELECT decision FROM llm_verdicts WHERE session_id = ? AND task_id = ? AND {_GATE_ROWS}"
            " ORDER BY id DESC LIMIT ?", (session_id, task_id, max(limit, 0))):
        if decision != "block":
            break
        count += 1
    return count


def last_gate(conn: sqlite3.Connection, session_id: str, task_id: str) -> dict[str, Any] | None:
    """The gate's latest decision on this task (its attempt), or None."""
    return _row(conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM llm_verdicts WHERE session_id = ? AND task_id = ? AND {_GATE_ROWS}"
        " ORDER BY id DESC LIMIT 1", (session_id, task_id)).fetchone())


def pending_judge(conn: sqlite3.Connection, session_id: str, task_id: str) -> dict[str, Any] | None:
    """The newest standing judge verdict for this task recorded after the gate's last decision
    on it (each is applied once), or None."""
    return _row(conn.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM llm_verdicts"
        " WHERE session_id = ? AND task_id = ? AND hook_event = ? AND id > coalesce(("
        f"   SELECT max(id) FROM llm_verdicts WHERE session_id = ? AND task_id = ? AND {_GATE_ROWS}), 0)"
        " ORDER BY id DESC LIMIT 1",
        (session_id, task_id, JUDGE_EVENT, session_id, task_id)).fetchone())


def open_attempts(conn: sqlite3.Connection, session_id: str, now: str, task_id: str | None = None,
                  window_s: float = ATTEMPT_WINDOW_S) -> list[dict[str, Any]]:
    """The session's completion attempts (of `task_id`, or of any task) still waiting for their
    TaskUpdate result, newest first: the task's latest gate row is recent and the task has not
    changed since (the gate stamps the task with the row's time; the TaskUpdate result, later)."""
    from hookledger.hotpath.timeutil import seconds_before

    cutoff = seconds_before(now, window_s)
    task_filter, params = ("AND v.task_id = ?", (session_id, cutoff, task_id)) if task_id else ("", (session_id, cutoff))
    return [r for r in (_row(t) for t in conn.execute(
        f"SELECT {', '.join('v.' + c for c in _COLUMNS)} FROM llm_verdicts v"
        " JOIN tasks t ON t.session_id = v.session_id AND t.task_id = v.task_id"
        f" WHERE v.session_id = ? AND {_gate_rows('v.')} AND v.timestamp >= ? {task_filter}"
        "   AND coalesce(t.updated_at, '') <= v.timestamp"
        "   AND v.id = (SELECT max(id) FROM llm_verdicts WHERE session_id = v.session_id AND task_id = v.task_id"
        f"              AND {_GATE_ROWS})"
        " ORDER BY v.id DESC", params)) if r]


def judged_attempt(conn: sqlite3.Connection, attempt: dict[str, Any]) -> bool:
    """True when a judge already recorded a verdict on this attempt (a gate row): judges record
    theirs on the attempt's session and task, so only that task's verdicts are read."""
    return conn.execute(
        "SELECT 1 FROM llm_verdicts WHERE session_id = ? AND task_id = ? AND hook_event = ? AND source LIKE ?"
        " AND json_extract(verdict_json, '$.attempt') = ? LIMIT 1",
        (attempt["session_id"], attempt["task_id"], GATE_EVENT, JUDGE_PREFIX + "%", attempt["id"])).fetchone() is not None


def verdict_json(row: dict[str, Any] | None) -> dict[str, Any]:
    """A row's verdict_json decoded ({} when missing or not an object)."""
    try:
        value = json.loads((row or {}).get("verdict_json") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
