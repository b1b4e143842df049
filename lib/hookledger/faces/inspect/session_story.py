"""The parts of a session's story the report tells beyond the timeline: prompts, tasks with
their verdicts, token use. Read-only queries returning plain dicts (decoded JSON included)."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from hookledger.faces.inspect.queries import fetch

BULK = re.compile(r"^<(\d+) chars>$")  # how an audit summary writes a long text: its size only


def session_prompts(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """The prompts of the session, oldest first: when, the text when the ledger has it, its
    length. From the `prompts` table (m012: hooks and imports); for a session recorded before
    it, from the UserPromptSubmit runs, whose summary keeps short prompts whole and long ones
    as their length."""
    rows = fetch(conn, "SELECT created_at AS at, text, chars FROM prompts WHERE session_id = ?"
                 " ORDER BY created_at, id", (session_id,))
    if rows:
        return [{"at": r["at"], "text": r["text"], "chars": r["chars"], "source": "prompts"} for r in rows]
    rows = fetch(conn, "SELECT timestamp AS at, payload_summary FROM hook_events WHERE session_id = ?"
                 " AND event_type = 'UserPromptSubmit' ORDER BY id", (session_id,))
    found = []
    for row in rows:
        try:
            prompt = json.loads(row["payload_summary"] or "{}").get("prompt")
        except (ValueError, AttributeError):
            prompt = None
        size = BULK.match(prompt) if isinstance(prompt, str) else None
        found.append({"at": row["at"], "text": None if size or not isinstance(prompt, str) else prompt,
                      "chars": int(size.group(1)) if size else len(prompt) if isinstance(prompt, str) else None,
                      "source": "hook_events"})
    return found


def _decoded(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text  # written by another tool: shown as it is


def session_tasks(conn: sqlite3.Connection, session_id: str) -> list[dict[str, Any]]:
    """The session's tasks in creation order, each with its verdicts (oldest first): the gate's
    decision with the checks it ran or the judge it applied, and what the TaskUpdate showed."""
    tasks = fetch(conn, "SELECT task_id, subject, description, status, status_reason, agent_id, created_at,"
                  " updated_at, completed_at FROM tasks WHERE session_id = ? ORDER BY created_at, task_id",
                  (session_id,))
    verdicts = fetch(conn, "SELECT id, timestamp, task_id, hook_event AS event, source, decision, reason, verdict_json"
                     " FROM llm_verdicts WHERE session_id = ? ORDER BY id", (session_id,))
    by_task: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts:
        detail = _decoded(v.pop("verdict_json"))
        v["checks"] = ((detail.get("checks") or {}).get("results") if isinstance(detail, dict)
                       and isinstance(detail.get("checks"), dict) else None) or []
        v["judge"] = detail.get("judge") if isinstance(detail, dict) else None
        by_task.setdefault(v["task_id"], []).append(v)
    known = {t["task_id"] for t in tasks}
    for task_id in by_task.keys() - known:  # a verdict on a task the ledger never saw created
        tasks.append({"task_id": task_id, "subject": None, "description": None, "status": None, "status_reason": None,
                      "agent_id": None, "created_at": None, "updated_at": None, "completed_at": None})
    for task in tasks:
        task["verdicts"] = by_task.get(task["task_id"], [])
    return tasks


def session_tokens(conn: sqlite3.Connection, session_id: str) -> dict[str, int] | None:
    from hookledger.faces.inspect.queries import tokens_by_session

    return tokens_by_session(conn, [session_id]).get(session_id)
