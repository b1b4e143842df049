"""Agent registry, through the real hooks: who each agent is, what it was asked, how it ended."""

from __future__ import annotations

import json
import sqlite3

from conftest import HOOKS, ROOT, ledger_path, load_fixture, rows, run_hook

SID = "16844d04-f039-4e79-b808-175a142b454b"  # the b_subagent recording
SUB = "aff41339c1597efe4"


def send(name, project, **overrides):
    payload = {**load_fixture(name, project), **overrides}
    proc = run_hook(payload["hook_event_name"], payload, project)
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr
    errors = rows(project, "SELECT event_type, error FROM hook_events WHERE outcome = 'error'")
    assert errors == [], errors
    return proc


def agent(project, agent_id):
    found = rows(project, "SELECT * FROM agent_registry WHERE id = ?", (agent_id,))
    return found[0] if found else None


def age(project, sql):
    """Pretend time passed: move the given rows' timestamps two hours back."""
    conn = sqlite3.connect(str(ledger_path(project)))
    with conn:
        conn.execute(sql)
    conn.close()


def test_recorded_subagent_session(project):
    from hookledger.faces.replay import replay

    result = replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/b_subagent.jsonl"), str(project), str(HOOKS))
    assert all(c.exit_code == 0 for c in result.calls)
    assert rows(project, "SELECT * FROM hook_events WHERE outcome NOT IN ('ok', 'answered')") == []
    sub = agent(project, SUB)
    assert (sub["agent_type"], sub["task_description"], sub["status"]) == ("general-purpose", "Write a file", "completed")
    assert sub["unattributed"] == 0 and sub["end_time"] and sub["tool_use_id"] == "toolu_01578e809bc5bb461"
    assert json.loads(sub["files_changed"]) == ["sub.txt"]
    claims = rows(project, "SELECT agent_id, file_path, operation, status, phase FROM file_claims")
    assert claims == [{"agent_id": SUB, "file_path": "sub.txt", "operation": "Write", "status": "held", "phase": "done"}]
    main = agent(project, f"main:{SID}")
    assert main["agent_type"] == "main" and main["status"] == "completed"
    assert len(rows(project, "SELECT * FROM agent_registry")) == 2


def test_main_thread_claims_attributed_to_main(project):
    from hookledger.faces.replay import replay

    replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/a_basic.jsonl"), str(project), str(HOOKS))
    sid = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"
    claims = rows(project, "SELECT agent_id, file_path, operation FROM file_claims ORDER BY id")
    assert claims == [{"agent_id": f"main:{sid}", "file_path": "hello.txt", "operation": "Write"},
                      {"agent_id": f"main:{sid}", "file_path": "hello.txt", "operation": "Edit"}]
    assert json.loads(agent(project, f"main:{sid}")["files_changed"]) == ["hello.txt"]


def test_subagent_start_before_agent_call_is_matched(project):
    send("SubagentStart__general-purpose", project)
    send("PreToolUse__Agent", project)
    sub = agent(project, SUB)
    assert sub["task_description"] == "Write a file" and sub["status"] == "running"


def test_agent_result_links_agent_id_and_completes(project):
    # No SubagentStart at all (background agents have been seen without one).
    send("PreToolUse__Agent", project)
    send("PostToolUse__Agent", project)
    sub = agent(project, SUB)
    assert (sub["agent_type"], sub["task_description"], sub["status"]) == ("general-purpose", "Write a file", "completed")


def test_background_agent_stays_running_until_subagent_stop(project):
    send("PreToolUse__Agent", project)
    send("SubagentStart__general-purpose", project)
    launched = load_fixture("PostToolUse__Agent", project)
    launched["tool_response"] = {"status": "async_launched", "agentId": SUB, "description": "Write a file"}
    send("PostToolUse__Agent", project, tool_response=launched["tool_response"])
    assert agent(project, SUB)["status"] == "running"
    send("SubagentStop__general-purpose", project)
    assert agent(project, SUB)["status"] == "completed"


def test_agent_tool_failure_fails_the_agent(project):
    send("PreToolUse__Agent", project)
    send("SubagentStart__general-purpose", project)
    failure = {k: v for k, v in load_fixture("PostToolUse__Agent", project).items() if k != "tool_response"}
    failure.update(hook_event_name="PostToolUseFailure", error="Agent crashed", is_interrupt=False)
    proc = run_hook("PostToolUseFailure", failure, project)
    assert proc.returncode == 0
    assert agent(project, SUB)["status"] == "failed"


def test_legacy_task_tool_gives_the_task(project):
    call = load_fixture("PreToolUse__Agent", project)
    send("PreToolUse__Agent", project, tool_name="Task", tool_input={**call["tool_input"], "description": "Refactor db"})
    send("SubagentStart__general-purpose", project)
    assert agent(project, SUB)["task_description"] == "Refactor db"


def test_task_is_redacted(project):
    call = load_fixture("PreToolUse__Agent", project)
    secret = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123"
    send("PreToolUse__Agent", project, tool_input={**call["tool_input"], "description": f"use key {secret}",
                                                   "prompt": f"token {secret}"})
    send("SubagentStart__general-purpose", project)
    assert secret not in agent(project, SUB)["task_description"]
    assert secret not in json.dumps(rows(project, "SELECT * FROM agent_spawns"))


def test_compaction_subagent_stop_is_not_an_agent(project):
    send("SubagentStop__default", project)
    assert rows(project, "SELECT * FROM agent_registry") == []


def test_orphan_agent_id_is_created_unattributed(project):
    send("PreToolUse__subagent_Write", project, agent_id="a0rphan", agent_type=None)
    orphan = agent(project, "a0rphan")
    assert orphan["unattributed"] == 1 and orphan["status"] == "running"
    assert rows(project, "SELECT agent_id FROM file_claims") == [{"agent_id": "a0rphan"}]


def test_subagent_start_after_orphan_events_attributes_it(project):
    send("PreToolUse__subagent_Bash", project)
    assert agent(project, SUB)["unattributed"] == 1
    send("SubagentStart__general-purpose", project)
    assert agent(project, SUB)["unattributed"] == 0


def test_stale_agents_aborted_when_next_session_starts(project):
    send("SubagentStart__general-purpose", project)
    send("SubagentStart__general-purpose", project, agent_id="fresh01")
    send("PreToolUse__subagent_Write", project)
    age(project, f"UPDATE agent_registry SET last_event_at = datetime(last_event_at, '-2 hours'),"
                 f" spawn_time = datetime(spawn_time, '-2 hours') WHERE id = '{SUB}'")
    send("SessionStart__startup", project, session_id="next-session")
    assert agent(project, SUB)["status"] == "aborted_stale"
    assert agent(project, "fresh01")["status"] == "running"
    assert rows(project, "SELECT released_at FROM file_claims")[0]["released_at"]
    assert agent(project, "main:next-session")["status"] == "running"


def test_session_end_completes_main_and_aborts_stale(project):
    send("SessionStart__startup", project)
    sid = load_fixture("SessionStart__startup", project)["session_id"]
    send("SubagentStart__general-purpose", project, session_id=sid)
    age(project, f"UPDATE agent_registry SET last_event_at = datetime('now', '-1 hour') WHERE id = '{SUB}'")
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"agents": {"stale_seconds": 60}}))
    send("SessionEnd__other", project, session_id=sid)
    assert agent(project, SUB)["status"] == "aborted_stale"
    assert agent(project, f"main:{sid}")["status"] == "completed"
    # Resumed: the main thread is live again.
    send("SessionStart__resume", project, session_id=sid)
    assert agent(project, f"main:{sid}")["status"] == "running"


def test_aborted_agent_that_speaks_again_is_running(project):
    send("SubagentStart__general-purpose", project)
    age(project, f"UPDATE agent_registry SET status = 'aborted_stale', end_time = '2026-01-01' WHERE id = '{SUB}'")
    send("PostToolBatch__general-purpose", project)
    sub = agent(project, SUB)
    assert sub["status"] == "running" and sub["end_time"] is None


def test_views_read_back(project):
    send("PreToolUse__Agent", project)
    send("SubagentStart__general-purpose", project)
    send("PreToolUse__subagent_Write", project)
    live = rows(project, "SELECT * FROM v_live_agents")
    assert {r["agent_id"] for r in live} == {SUB, f"main:{SID}"}
    sub = next(r for r in live if r["agent_id"] == SUB)
    assert sub["claims_held"] == 1 and sub["task_description"] == "Write a file"
    owners = rows(project, "SELECT * FROM v_file_owners")
    assert [(o["file_path"], o["holder_agent_id"], o["holder_task"], o["live"]) for o in owners] == \
        [("sub.txt", SUB, "Write a file", 1)]


def test_parallel_agents_of_one_type_end_up_with_their_own_tasks(project):
    """Two Agent calls launched together: order may pair them wrongly at SubagentStart; each
    Agent result (which names its agentId) puts them right."""
    call = load_fixture("PreToolUse__Agent", project)
    for tid, desc in (("toolu_first", "First task"), ("toolu_second", "Second task")):
        send("PreToolUse__Agent", project, tool_use_id=tid, tool_input={**call["tool_input"], "description": desc})
    send("SubagentStart__general-purpose", project, agent_id="agent1")
    send("SubagentStart__general-purpose", project, agent_id="agent2")
    result = load_fixture("PostToolUse__Agent", project)
    for tid, agent_id, desc in (("toolu_first", "agent1", "First task"), ("toolu_second", "agent2", "Second task")):
        response = {**result["tool_response"], "agentId": agent_id}
        send("PostToolUse__Agent", project, tool_use_id=tid, tool_response=response,
             tool_input={**call["tool_input"], "description": desc})
        assert agent(project, agent_id)["task_description"] == desc
        # The other one is right too from the first result on (swapped if order paired them wrongly).
        assert agent(project, "agent2")["task_description"] == "Second task"
    assert agent(project, "agent1")["task_description"] == "First task"
    assert agent(project, "agent2")["task_description"] == "Second task"
    assert {(r["tool_use_id"], r["agent_id"]) for r in rows(project, "SELECT * FROM agent_spawns")} == \
        {("toolu_first", "agent1"), ("toolu_second", "agent2")}


def test_parallel_agents_are_paired_with_their_calls_in_order_at_start(project):
    """Seen live (Claude Code 2.1.197 and 2.1.332): agents launched together start in the order
    of their Agent calls. Before any Agent result names them, each must already carry its own
    call's task (a claim conflict in that window names the holder's task); an earlier call that
    never started an agent (denied) is left over."""
    call = load_fixture("PreToolUse__Agent", project)
    for tid, desc in (("toolu_denied", "Never started"), ("toolu_first", "First task"), ("toolu_second", "Second task")):
        send("PreToolUse__Agent", project, tool_use_id=tid, tool_input={**call["tool_input"], "description": desc})
    send("SubagentStart__general-purpose", project, agent_id="agent1")
    assert agent(project, "agent1")["task_description"] == "Second task"  # the latest call, as far as it knows
    send("SubagentStart__general-purpose", project, agent_id="agent2")
    assert agent(project, "agent1")["task_description"] == "First task"
    assert agent(project, "agent2")["task_description"] == "Second task"
    assert {(r["tool_use_id"], r["agent_id"]) for r in rows(project, "SELECT * FROM agent_spawns")} == \
        {("toolu_denied", None), ("toolu_first", "agent1"), ("toolu_second", "agent2")}


def test_meta_file_beside_the_transcript_settles_the_call(project, tmp_path):
    """Hooks that started out of order pair the agents wrongly; at an agent's first tool call the
    agent-<id>.meta.json Claude Code writes beside the session's transcript names its call
    (`toolUseId`, seen in 2.1.197 and 2.1.332), and the pairing is put right. A symlinked meta
    file is not followed."""
    transcript = tmp_path / "projects" / f"{SID}.jsonl"
    subagents = transcript.with_suffix("") / "subagents"
    subagents.mkdir(parents=True)
    call = load_fixture("PreToolUse__Agent", project)
    for tid, desc in (("toolu_first", "First task"), ("toolu_second", "Second task")):
        send("PreToolUse__Agent", project, tool_use_id=tid, transcript_path=str(transcript),
             tool_input={**call["tool_input"], "description": desc})
    for agent_id in ("agent2", "agent1"):  # the second agent's hook got going first
        send("SubagentStart__general-purpose", project, agent_id=agent_id, transcript_path=str(transcript))
    assert agent(project, "agent2")["task_description"] == "First task"  # the guess by order is wrong
    (subagents / "agent-agent2.meta.json").write_text(json.dumps({"agentType": "general-purpose", "toolUseId": "toolu_second"}))
    (tmp_path / "elsewhere.json").write_text(json.dumps({"toolUseId": "toolu_first"}))
    (subagents / "agent-agent1.meta.json").symlink_to(tmp_path / "elsewhere.json")
    write = load_fixture("PreToolUse__subagent_Write", project)
    send("PreToolUse__subagent_Write", project, agent_id="agent2", transcript_path=str(transcript),
         tool_use_id="toolu_w2", tool_input={**write["tool_input"], "file_path": str(project / "b.txt")})
    assert agent(project, "agent2")["task_description"] == "Second task"
    assert agent(project, "agent1")["task_description"] == "First task"  # swapped with it
    spawns = {r["tool_use_id"]: (r["agent_id"], r["status"]) for r in rows(project, "SELECT * FROM agent_spawns")}
    assert spawns == {"toolu_first": ("agent1", "requested"), "toolu_second": ("agent2", "started")}
    send("PreToolUse__subagent_Write", project, agent_id="agent1", transcript_path=str(transcript),
         tool_use_id="toolu_w1", tool_input={**write["tool_input"], "file_path": str(project / "a.txt")})
    assert rows(project, "SELECT status FROM agent_spawns WHERE tool_use_id = 'toolu_first'") == [{"status": "requested"}]
