"""What hookledger told Claude Code, read back from hook_events.answer (m013).

Every hook run that answered keeps its answer exactly as it went out (redacted): the stdout
JSON, or an exit-2 block's stderr. Here it is taken apart into what the model was given: the
continuity brief of a SessionStart, an escalation after repeated failures, a claim-conflict
warning, a denial, a refused task completion.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hookledger.faces.inspect.queries import fetch

BRIEF_KINDS = ("compact", "resume", "startup")  # SessionStart's source, as Claude Code names it
LABELS = {"brief": "continuity brief", "escalation": "escalation", "conflict": "claim-conflict warning",
          "denial": "denial", "ask": "permission asked", "refusal": "task completion refused", "context": "context"}


def parse(event: str, answer: str | None, exit_code: int | None) -> tuple[str, str | None]:
    """(what kind of answer, the text the model got) from a stored answer."""
    if answer is None:
        return "unknown", None
    if exit_code == 2:
        return ("refusal" if event == "TaskCompleted" else "block"), answer.rstrip("\n")
    try:
        specific = json.loads(answer).get("hookSpecificOutput") or {}
    except (ValueError, AttributeError):
        return "context", answer
    decision = specific.get("permissionDecision")
    if decision in ("deny", "ask"):
        return ("denial" if decision == "deny" else "ask"), specific.get("permissionDecisionReason")
    text = specific.get("additionalContext")
    if event == "SessionStart":
        return "brief", text
    if event == "PreToolUse":
        return "conflict", text
    if event in ("PostToolUse", "PostToolUseFailure"):
        return "escalation", text
    return "context", text


def _source(summary: str | None) -> str | None:
    try:
        value = json.loads(summary or "{}").get("source")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def session_answers(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """Every answer or block of the session's hook runs, oldest first: when, which run, what kind,
    the text the model got (None when the run predates stored answers)."""
    rows = fetch(conn, "SELECT id, timestamp, event_type AS event, tool_name, agent_id, outcome, exit_code, answer,"
                 " payload_summary FROM hook_events WHERE session_id = ? AND (answer IS NOT NULL"
                 " OR outcome IN ('answered', 'blocked')) ORDER BY id", (session_id,))
    for row in rows:
        row["kind"], row["text"] = parse(row["event"], row["answer"], row["exit_code"])
        row["source"] = _source(row.pop("payload_summary")) if row["event"] == "SessionStart" else None
        row["label"] = LABELS.get(row["kind"], row["kind"])
    return rows


def briefs(conn: sqlite3.Connection, session_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Continuity briefs injected at SessionStart, newest first: when, into which session, of
    which kind (compact, resume, startup), the exact text, and whether it is exact (stored) or
    rebuilt from the compaction snapshot (a run from before answers were stored)."""
    where, params = ["event_type = 'SessionStart'", "(answer IS NOT NULL OR outcome = 'answered')"], []
    if session_id:
        where.append("session_id = ?")
        params.append(session_id)
    rows = fetch(conn, "SELECT id, timestamp AS injected_at, session_id, answer, exit_code, payload_summary"
                 f" FROM hook_events WHERE {' AND '.join(where)} ORDER BY id DESC", params)
    found = []
    for row in rows:
        source = _source(row.pop("payload_summary"))
        if kind and source != kind:
            continue
        _, text = parse("SessionStart", row.pop("answer"), row.pop("exit_code"))
        exact = text is not None
        if text is None:
            text = _rebuilt(conn, row["session_id"], row["injected_at"]) if source == "compact" else None
        if text:
            found.append({**row, "kind": source, "text": text, "exact": exact, "chars": len(text)})
    return found


def _rebuilt(conn: sqlite3.Connection, session_id: str, at: str) -> str | None:
    """The brief of a compaction from its post_compact snapshot (written in the same run)."""
    from hookledger.knowledge.brief import build

    row = conn.execute("SELECT content FROM context_snapshots WHERE session_id = ? AND snapshot_type = 'post_compact'"
                       " AND timestamp = ? ORDER BY id DESC LIMIT 1", (session_id, at)).fetchone()
    try:
        return build(json.loads(row[0]), "compact") if row else None
    except (ValueError, TypeError):
        return None
