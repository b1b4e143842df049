"""One `tasks` row per (session, task_id): the one writer of the task list.

Shared by the task list handler (handlers/tasks) and the TaskCompleted gate
(handlers/task_gate), which both settle a task's status.
"""

from __future__ import annotations

from hookledger.handlers.context import Context
from hookledger.hotpath.redact import redact_clip

STATUSES = frozenset({"pending", "in_progress", "completed", "deleted"})
SUBJECT_MAX = 500
DESCRIPTION_MAX = 4000
_KEEP = object()  # status_reason: keep it (cleared anyway when the status changes)

# One statement for every change. SQLite evaluates every SET expression on the old row, so
# `status` on the right-hand side is the status before this change.
_UPSERT = """
INSERT INTO tasks (session_id, task_id, subject, description, status, agent_id, created_at, updated_at,
                   completed_at, status_reason)
VALUES (:sid, :tid, :subject, :description, coalesce(:status, :initial), :agent, :now, :now,
        CASE WHEN coalesce(:status, :initial) = 'completed' THEN :now END, :reason)
ON CONFLICT(session_id, task_id) DO UPDATE SET
  subject = coalesce(:subject, subject),
  description = coalesce(:description, description),
  agent_id = CASE WHEN :status = 'in_progress' OR agent_id IS NULL THEN coalesce(:agent, agent_id) ELSE agent_id END,
  completed_at = CASE WHEN :status IS NULL THEN completed_at
                      WHEN :status != 'completed' THEN NULL
                      WHEN status = 'completed' THEN coalesce(completed_at, :now)
                      ELSE :now END,
  status_reason = CASE WHEN :set_reason THEN :reason
                       WHEN :status IS NOT NULL AND :status IS NOT status THEN NULL
                       ELSE status_reason END,
  status = coalesce(:status, status),
  updated_at = :now
"""


def clean_text(value: object, limit: int) -> str | None:
    return redact_clip(value.strip(), limit) if isinstance(value, str) and value.strip() else None


def as_task_id(value: object) -> str | None:
    """A task id as the ledger keys it ("1"), from a string or a number; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def valid_status(value: object) -> str | None:
    return value if isinstance(value, str) and value in STATUSES else None


def upsert(ctx: Context, task_id: str, *, status: object = None, initial: str = "pending",
           subject: object = None, description: object = None, reason: object = _KEEP) -> None:
    """Create or update one task. `status` sets it; `initial` is used only for a new row.
    `reason` (a string or None) sets status_reason; by default it is cleared on a status change."""
    ctx.conn.execute(_UPSERT, {
        "sid": ctx.session_id, "tid": task_id, "now": ctx.now, "agent": ctx.event.actor_id,
        "status": valid_status(status), "initial": initial,
        "subject": clean_text(subject, SUBJECT_MAX), "description": clean_text(description, DESCRIPTION_MAX),
        "set_reason": reason is not _KEEP, "reason": clean_text(reason, DESCRIPTION_MAX) if reason is not _KEEP else None,
    })


def task_status(ctx: Context, task_id: str) -> str | None:
    row = ctx.conn.execute("SELECT status FROM tasks WHERE session_id = ? AND task_id = ?",
                           (ctx.session_id, task_id)).fetchone()
    return row[0] if row else None
