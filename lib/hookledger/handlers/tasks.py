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
from hookledger.handlers.task_records import SUBJECT_MAX, as_task_id, clean_text, upsert, valid_status

TASK_TOOLS = frozenset({"TaskCreate", "TaskUpdate", "TaskList"})
CREATE_FEEDBACK = "TaskCreated hook feedback"
COMPLETE_FEEDBACK = "TaskCompleted hook feedback"


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
        from hookledger.handlers.task_gate import completion_result  # only on a completion

        completion_result(ctx, task_id, went_through=True, feedback=None)
    upsert(ctx, task_id, status=valid_status(status),
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
        status = valid_status(task.get("status"))
        subject = clean_text(task.get("subject"), SUBJECT_MAX)
        old = known.get(task_id)
        if old is None or (status and status != old[0]) or (subject and subject != old[1]):
            upsert(ctx, task_id, status=status, subject=task.get("subject"))


def _creation_refused(ctx: Context, feedback: str | None) -> None:
    """A TaskCreated hook refused the task: the newest pending task with that subject (the
    failure carries no task id) was deleted by Claude Code."""
    subject = clean_text(ctx.event.tool_input.get("subject"), SUBJECT_MAX)
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
        from hookledger.handlers.task_gate import completion_result  # only on a refusal

        completion_result(ctx, task_id, went_through=False, feedback=feedback)
