"""The task list through the real hooks: TaskCreated / TaskCompleted, and the PostToolUse of
TaskCreate, TaskUpdate and TaskList that Claude Code fires even where the Task events are not
delivered; keyed by (session, task_id); refusals by other hooks put a task back."""

from __future__ import annotations

from conftest import HOOKS, ROOT, load_fixture, rows, run_hook

SID = "f06b0d73-3e1f-4bfb-bacf-40fd0a7e02cf"
OTHER = "0d5e1a3c-1111-4222-8333-944455556666"


def hook(event: str, payload: dict, project) -> None:
    proc = run_hook(event, payload, project)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), proc.stderr


def created(project, task_id="1", subject="Write the report", session=SID):
    payload = load_fixture("TaskCreated__default", project)
    payload.update(task_id=task_id, task_subject=subject, session_id=session)
    hook("TaskCreated", payload, project)


def tool(project, name, tool_input, response, n, session=SID, event="PostToolUse", **extra):
    payload = load_fixture(f"PostToolUse__{name}", project)
    payload.update(tool_input=tool_input, tool_use_id=f"toolu_{name}_{n}", session_id=session, hook_event_name=event,
                   **extra)
    if event == "PostToolUseFailure":
        payload.pop("tool_response", None)
    else:
        payload["tool_response"] = response
    hook(event, payload, project)


def update(project, task_id, to, frm, n, session=SID):
    tool(project, "TaskUpdate", {"taskId": task_id, "status": to},
         {"success": True, "taskId": task_id, "updatedFields": ["status"], "statusChange": {"from": frm, "to": to}},
         n, session)


def completed(project, task_id="1", session=SID):
    payload = load_fixture("TaskCompleted__default", project)
    payload.update(task_id=task_id, session_id=session)
    hook("TaskCompleted", payload, project)


def task(project, task_id="1", session=SID):
    [row] = rows(project, "SELECT * FROM tasks WHERE session_id = ? AND task_id = ?", (session, task_id))
    return row


def test_recorded_session_with_tasks(project):
    """e_tasks: task 1 created, started, refused once by another TaskCompleted hook, then
    completed; task 2 refused at creation by a TaskCreated hook."""
    from hookledger.faces.replay import replay

    result = replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/e_tasks.jsonl"), str(project), str(HOOKS))
    assert all(c.exit_code == 0 and not c.stdout for c in result.calls)
    one, two = task(project, "1"), task(project, "2")
    assert (one["subject"], one["status"], one["agent_id"], one["status_reason"]) == \
        ("Write the report", "completed", f"main:{SID}", None)
    assert one["completed_at"] and one["completed_at"] >= one["created_at"]
    assert (two["subject"], two["status"]) == ("BLOCK-ME task", "deleted")
    assert two["status_reason"].startswith("creation refused by a TaskCreated hook: ")
    assert "tasks named BLOCK-ME are not allowed" in two["status_reason"]
    verdicts = rows(project, "SELECT hook_event, task_id, source, decision, reason FROM llm_verdicts ORDER BY id")
    assert [(v["hook_event"], v["source"], v["decision"]) for v in verdicts] == [
        ("TaskCompleted", "observe", "allow"), ("TaskUpdate", "hooks", "block"), ("TaskCompleted", "observe", "allow")]
    assert verdicts[1]["reason"].endswith("TASKCOMPLETED_EXIT2: run the tests first")
    assert {v["task_id"] for v in verdicts} == {"1"}


def test_refused_completion_puts_the_task_back(project):
    created(project)
    update(project, "1", "in_progress", "pending", 1)
    completed(project)  # observe: allowed, so the ledger marks it completed ...
    assert task(project)["status"] == "completed"
    feedback = "TaskCompleted hook feedback:\n[./judge.sh]: the report has no totals"
    tool(project, "TaskUpdate", {"taskId": "1", "status": "completed"},
         {"success": False, "taskId": "1", "updatedFields": [], "error": feedback}, 2)
    back = task(project)  # ... until the TaskUpdate result says another hook refused it
    assert (back["status"], back["completed_at"]) == ("in_progress", None)
    assert back["status_reason"] == "completion refused by a TaskCompleted hook: [./judge.sh]: the report has no totals"
    [refusal] = rows(project, "SELECT * FROM llm_verdicts WHERE hook_event = 'TaskUpdate'")
    assert (refusal["decision"], refusal["source"], refusal["reason"]) == ("block", "hooks", "[./judge.sh]: the report has no totals")
    update(project, "1", "completed", "in_progress", 3)
    done = task(project)
    assert (done["status"], done["status_reason"]) == ("completed", None) and done["completed_at"]


def test_tool_results_alone_keep_the_list(project):
    """No TaskCreated/TaskCompleted delivered: PostToolUse of the Task tools is enough."""
    tool(project, "TaskCreate", {"subject": "Add totals", "description": "Sum the columns"},
         {"task": {"id": "3", "subject": "Add totals"}}, 1)
    assert (task(project, "3")["status"], task(project, "3")["description"]) == ("pending", "Sum the columns")
    update(project, "3", "in_progress", "pending", 2)
    update(project, "3", "completed", "in_progress", 3)
    done = task(project, "3")
    assert done["status"] == "completed" and done["completed_at"] >= done["created_at"]
    tool(project, "TaskUpdate", {"taskId": "3", "subject": "Add totals per column"},
         {"success": True, "taskId": "3", "updatedFields": ["subject"]}, 4)
    assert (task(project, "3")["subject"], task(project, "3")["status"]) == ("Add totals per column", "completed")
    update(project, "3", "in_progress", "completed", 5)  # reopened
    assert (task(project, "3")["status"], task(project, "3")["completed_at"]) == ("in_progress", None)
    assert rows(project, "SELECT count(*) AS n FROM llm_verdicts")[0]["n"] == 0


def test_task_ids_are_per_session(project):
    created(project, "1", "Write the report", SID)
    created(project, "1", "Fix the build", OTHER)
    update(project, "1", "in_progress", "pending", 1, OTHER)
    assert (task(project, "1", SID)["subject"], task(project, "1", SID)["status"]) == ("Write the report", "pending")
    assert (task(project, "1", OTHER)["subject"], task(project, "1", OTHER)["status"]) == ("Fix the build", "in_progress")


def test_task_list_fills_in_and_leaves_unchanged_tasks_alone(project):
    created(project, "1")
    before = task(project, "1")["updated_at"]
    tool(project, "TaskList", {}, {"tasks": [
        {"id": "1", "subject": "Write the report", "status": "pending", "blockedBy": []},
        {"id": "4", "subject": "Review the report", "status": "in_progress", "blockedBy": ["1"]},
        {"id": 5}, "junk", {"subject": "no id"}]}, 1)
    assert task(project, "1")["updated_at"] == before
    assert (task(project, "4")["subject"], task(project, "4")["status"]) == ("Review the report", "in_progress")
    assert task(project, "5")["status"] == "pending"
    assert len(rows(project, "SELECT * FROM tasks")) == 3


def test_the_task_in_progress_is_linked_to_errors(project):
    created(project)
    update(project, "1", "in_progress", "pending", 1)
    payload = load_fixture("PostToolUseFailure__Bash", project)
    payload["session_id"] = SID
    hook("PostToolUseFailure", payload, project)
    assert [e["task_id"] for e in rows(project, "SELECT task_id FROM error_log")] == ["1"]


def test_subjects_are_redacted(project):
    created(project, "1", "Rotate ANTHROPIC_API_KEY=sk-ant-abcdefghijklmnop1234")
    assert "sk-ant-abcdefghijklmnop1234" not in task(project)["subject"]


def test_odd_task_payloads_never_break_a_hook(project):
    created(project)
    for n, response in enumerate(["not an object", {"success": True, "taskId": ["1"], "statusChange": ["to"]},
                                  {"success": True, "taskId": "1", "statusChange": {"to": {"x": 1}}},
                                  {"success": False, "taskId": "1", "error": 42}]):
        tool(project, "TaskUpdate", {"taskId": "1", "status": ["completed"]}, response, n)
    tool(project, "TaskCreate", {"subject": None}, {"task": "7"}, 9)
    tool(project, "TaskList", {}, {"tasks": {"1": "pending"}}, 10)
    tool(project, "TaskCreate", {"subject": ["x"]}, None, 11, event="PostToolUseFailure", error="TaskCreated hook feedback: no")
    assert task(project)["status"] == "pending"
    outcomes = rows(project, "SELECT outcome FROM hook_events WHERE event_type LIKE 'PostToolUse%'")
    assert {o["outcome"] for o in outcomes} == {"ok"}
