"""The task list: one `tasks` row per (session, task_id), from the Task tools and their events.

Task ids are small per-list numbers ("1", "2"), so the session is part of the key. Sources:
- TaskCreated: the row (status pending).
- PostToolUse(TaskCreate): the same from `tool_response.task`; Claude Code fires it even where
  TaskCreated is not delivered.
- PostToolUseFailure(TaskCreate) with "TaskCreated hook feedback": a hook refused the task and
  Claude Code deleted it: status deleted, status_reason the feedback.
- PostToolUse(TaskUpdate): the status change (`statusChange`), subject and description. A
  completion the TaskCompleted hooks refused comes back as `success: false` with "TaskCompleted
  hook feedback": handed to the gate (handlers/task_gate.completion_result).
- PostToolUse(TaskList): statuses and subjects of the whole list (tasks made by teammates).
- TaskCompleted: the row (status in_progress when unknown); the gate then settles its status.

`agent_id` is the agent that created the task, then the one that moved it to in_progress.
"""

from __future__ import annotations

from hookledger.handlers.context import Context
from hookledger.redact import redact

TASK_TOOLS = frozenset({"TaskCreate", "TaskUpdate", "TaskList"})
STATUSES = frozenset({"pending", "in_progress", "completed", "deleted"})
CREATE_FEEDBACK = "TaskCreated hook feedback"
COMPLETE_FEEDBACK = "TaskCompleted hook feedback"
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


def _text(value: object, limit: int) -> str | None:
    return redact(value.strip())[:limit] if isinstance(value, str) and value.strip() else None


def as_task_id(value: object) -> str | None:
    """A task id as the ledger keys it ("1"), from a string or a number; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, (str, int)) and str(value) else None


def _status(value: object) -> str | None:
    return value if isinstance(value, str) and value in STATUSES else None


def upsert(ctx: Context, task_id: str, *, status: object = None, initial: str = "pending",
           subject: object = None, description: object = None, reason: object = _KEEP) -> None:
    """Create or update one task. `status` sets it; `initial` is used only for a new row.
    `reason` (a string or None) sets status_reason; by default it is cleared on a status change."""
    ctx.conn.execute(_UPSERT, {
        "sid": ctx.session_id, "tid": task_id, "now": ctx.now, "agent": ctx.event.actor_id,
        "status": _status(status), "initial": initial,
        "subject": _text(subject, SUBJECT_MAX), "description": _text(description, DESCRIPTION_MAX),
        "set_reason": reason is not _KEEP, "reason": _text(reason, DESCRIPTION_MAX) if reason is not _KEEP else None,
    })


def task_status(ctx: Context, task_id: str) -> str | None:
    row = ctx.conn.execute("SELECT status FROM tasks WHERE session_id = ? AND task_id = ?",
                           (ctx.session_id, task_id)).fetchone()
    return row[0] if row else None


def feedback_text(error: object, header: str) -> str | None:
    """The hooks' message from a Task tool error that starts with "<Event> hook feedback:"."""
    if not isinstance(error, str) or header not in error:
        return None
    return error.split(header, 1)[1].lstrip(": \n") or header


# ------------------------------------------------------------------------ events


def task_created(ctx: Context) -> None:
    task_id = ctx.event.task_id()
    if task_id:
        upsert(ctx, task_id, subject=ctx.event.text("task_subject"), description=ctx.event.text("task_description"))


def task_completed(ctx: Context) -> None:
    task_id = ctx.event.task_id()
    if task_id:  # a task being completed is evidently under way, when this is the first we hear of it
        upsert(ctx, task_id, initial="in_progress", subject=ctx.event.text("task_subject"),
               description=ctx.event.text("task_description"))


def post_tool_use(ctx: Context) -> None:
    tool = ctx.event.tool_name
    if tool not in TASK_TOOLS:  # every tool call passes here: nothing else before this test
        return
    response = ctx.event.tool_response
    response = response if isinstance(response, dict) else {}
    if tool == "TaskCreate":
        _created(ctx, response)
    elif tool == "TaskUpdate":
        _updated(ctx, response)
    else:
        _listed(ctx, response)


def post_tool_use_failure(ctx: Context) -> None:
    tool = ctx.event.tool_name
    if tool == "TaskCreate":
        _creation_refused(ctx, feedback_text(ctx.event.text("error"), CREATE_FEEDBACK))
    elif tool == "TaskUpdate":
        _completion_refused(ctx, as_task_id(ctx.event.tool_input.get("taskId")), ctx.event.text("error"))


# ------------------------------------------------------------------------ tools


def _created(ctx: Context, response: dict) -> None:
    task = response.get("task")
    task = task if isinstance(task, dict) else {}
    task_id = as_task_id(task.get("id"))
    if task_id:
        given = ctx.event.tool_input
        upsert(ctx, task_id, subject=task.get("subject") or given.get("subject"), description=given.get("description"))


def _updated(ctx: Context, response: dict) -> None:
    given = ctx.event.tool_input
    task_id = as_task_id(response.get("taskId")) or as_task_id(given.get("taskId"))
    if not task_id:
        return
    if response.get("success") is False:
        _completion_refused(ctx, task_id, response.get("error"))
        return
    change = response.get("statusChange")
    fields = response.get("updatedFields")
    fields = fields if isinstance(fields, list) else []
    status = change.get("to") if isinstance(change, dict) else given.get("status") if "status" in fields else None
    if status == "completed":
        from hookledger.handlers.task_gate import completion_result

        completion_result(ctx, task_id, went_through=True, feedback=None)
    upsert(ctx, task_id, status=_status(status),
           subject=given.get("subject") if "subject" in fields else None,
           description=given.get("description") if "description" in fields else None)


def _listed(ctx: Context, response: dict) -> None:
    """Tasks the list shows differently from the ledger (only those: updated_at means a change)."""
    tasks = response.get("tasks")
    known = {r[0]: (r[1], r[2]) for r in ctx.conn.execute(
        "SELECT task_id, status, subject FROM tasks WHERE session_id = ?", (ctx.session_id,))}
    for task in tasks if isinstance(tasks, list) else []:
        task_id = as_task_id(task.get("id")) if isinstance(task, dict) else None
        if not task_id:
            continue
        status = _status(task.get("status"))
        subject = _text(task.get("subject"), SUBJECT_MAX)
        old = known.get(task_id)
        if old is None or (status and status != old[0]) or (subject and subject != old[1]):
            upsert(ctx, task_id, status=status, subject=task.get("subject"))


def _creation_refused(ctx: Context, feedback: str | None) -> None:
    """A TaskCreated hook refused the task: the newest pending task with that subject (the
    failure carries no task id) was deleted by Claude Code."""
    subject = _text(ctx.event.tool_input.get("subject"), SUBJECT_MAX)
    if feedback is None or subject is None:
        return
    row = ctx.conn.execute(
        "SELECT task_id FROM tasks WHERE session_id = ? AND subject = ? AND status = 'pending'"
        " ORDER BY created_at DESC, rowid DESC LIMIT 1", (ctx.session_id, subject)).fetchone()
    if row:
        upsert(ctx, row[0], status="deleted", reason="creation refused by a TaskCreated hook: " + feedback)


def _completion_refused(ctx: Context, task_id: str | None, error: object) -> None:
    feedback = feedback_text(error, COMPLETE_FEEDBACK)
    if task_id and feedback is not None:
        from hookledger.handlers.task_gate import completion_result

        completion_result(ctx, task_id, went_through=False, feedback=feedback)
