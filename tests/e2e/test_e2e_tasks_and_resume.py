"""Tasks completed through the gate in `checks` mode (blocked, then passing), and a resumed
session that gets its brief and picks up where it stopped."""

from __future__ import annotations

from e2e.project_files import RUN_TESTS
from e2e.standin_api import text, tool



def complete(task_id: str = "1") -> dict:
    return tool("TaskUpdate", {"taskId": task_id, "status": "completed"})


def test_task_completion_gated_by_the_project_checks(e2e):
    e2e.write("run-tests.sh", RUN_TESTS)
    e2e.configure({"gate": {"mode": "checks", "commands": ["sh run-tests.sh"]}})
    e2e.api.script(
        "gate",
        [tool("TaskCreate", {"subject": "Make the tests pass", "description": "app.txt must say fixed",
                             "activeForm": "Making the tests pass"})],
        [tool("TaskUpdate", {"taskId": "1", "status": "in_progress"})],
        [complete()],
        [tool("Write", {"file_path": e2e.path("app.txt"), "content": "fixed\n"})],
        [complete()],
        [text("The task is done.")],
    )
    run = e2e.run("Make the tests pass and complete the task [[e2e:gate]]")
    sid = run.session_id
    turns = e2e.api.turns("gate")
    first_try, second_try = turns[2].answer[0]["id"], turns[4].answer[0]["id"]

    # the model read the gate's refusal with the failing output, then a plain success
    refused = turns[3].tool_results()[first_try]
    said = str(refused["content"])
    assert "TaskCompleted hook feedback" in said
    assert 'hookledger quality gate: task 1 "Make the tests pass" stays open' in said
    assert "FAIL test_app: app.txt does not say fixed" in said
    accepted = turns[5].tool_results()[second_try]
    assert not accepted.get("is_error") and "TaskCompleted hook feedback" not in str(accepted["content"])

    # the ledger: the hook blocked (exit 2) then let it through, with a verdict for each
    gate_runs = e2e.hook_events("event_type = 'TaskCompleted'")
    assert [(g["outcome"], g["exit_code"]) for g in gate_runs] == [("blocked", 2), ("ok", 0)]
    verdicts = e2e.rows("SELECT * FROM llm_verdicts WHERE hook_event = 'TaskCompleted' ORDER BY id")
    assert [(v["task_id"], v["source"], v["decision"]) for v in verdicts] == [("1", "checks", "block"),
                                                                               ("1", "checks", "allow")]
    assert "`sh run-tests.sh` failed (exit 1" in verdicts[0]["reason"]
    assert "`sh run-tests.sh` passed" in verdicts[1]["reason"]
    tasks = e2e.rows("SELECT * FROM tasks")
    assert [(t["session_id"], t["task_id"], t["subject"], t["status"]) for t in tasks] == \
        [(sid, "1", "Make the tests pass", "completed")]
    e2e.assert_tool_calls_recorded("gate")


def test_resumed_session_gets_its_brief_and_carries_on(e2e):
    e2e.write("run-tests.sh", RUN_TESTS)
    e2e.api.script(
        "resume",
        # run 1: a task in progress, a failing check, then the session ends
        [tool("TaskCreate", {"subject": "Fix the app", "description": "make run-tests.sh pass",
                             "activeForm": "Fixing the app"})],
        [tool("TaskUpdate", {"taskId": "1", "status": "in_progress"})],
        [tool("Bash", {"command": "sh run-tests.sh", "description": "Run the tests"})],
        [text("Stopping here for today.")],
        # run 2, resumed: the fix, the passing check, the task completed
        [tool("Write", {"file_path": e2e.path("app.txt"), "content": "fixed\n"})],
        [tool("Bash", {"command": "sh run-tests.sh", "description": "Run the tests"})],
        [complete()],
        [text("Fixed and done.")],
    )
    first = e2e.run("Fix the app [[e2e:resume]]")
    sid = first.session_id
    assert [(s["status"], s["end_reason"]) for s in e2e.rows("SELECT * FROM sessions")] == [("ended", "other")]
    assert [e["resolution"] for e in e2e.rows("SELECT resolution FROM error_log")] == ["abandoned"]

    second = e2e.run("Carry on with the fix [[e2e:resume]]", "--resume", sid)
    assert second.session_id == sid
    starts = [e["payload"].get("source") for e in e2e.hook_events("event_type = 'SessionStart'")]
    assert starts == ["startup", "resume"]

    # the first request of the resumed run: the earlier conversation, and the brief
    resumed = e2e.api.turns("resume")[4]
    failing_run = e2e.api.turns("resume")[2].answer[0]["id"]
    assert failing_run in resumed.tool_results()  # the history came back
    said = resumed.context_text()
    assert "hookledger continuity brief: facts recorded in the session ledger of this session before it was resumed" in said
    assert "- #1 [in_progress] Fix the app" in said
    assert "`sh run-tests.sh` failed once (test error" in said

    # picked up where it stopped: the error reopened on resume and fixed, the task completed
    errors = e2e.rows("SELECT resolution, resolved_at FROM error_log")
    assert [e["resolution"] for e in errors] == ["auto_fixed"]
    assert [t["status"] for t in e2e.rows("SELECT status FROM tasks")] == ["completed"]
    sessions = e2e.rows("SELECT * FROM sessions")
    assert [(s["session_id"], s["source"], s["status"]) for s in sessions] == [(sid, "resume", "ended")]
    main = e2e.rows("SELECT status FROM agent_registry WHERE id = ?", (f"main:{sid}",))
    assert main == [{"status": "completed"}]
    e2e.assert_tool_calls_recorded("resume")
