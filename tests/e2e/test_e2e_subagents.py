"""Subagents: one writing a file, and two writing the same file (file claims)."""

from __future__ import annotations

import json

import pytest

from e2e.standin_api import Step, text, tool


def agent_call(description: str, marker: str) -> dict:
    return tool("Agent", {"description": description, "prompt": f"{description} [[e2e:{marker}]]",
                          "subagent_type": "general-purpose"})


def subagents(e2e) -> dict[str, dict]:
    """task description -> agent_registry row, for the subagents (not the main thread)."""
    return {a["task_description"]: a for a in e2e.rows("SELECT * FROM agent_registry WHERE agent_type != 'main'")}


def test_subagent_writes_a_file(e2e):
    notes = e2e.path("docs/notes.md")
    e2e.api.script("main", [agent_call("Write the notes", "notes")], [text("The agent wrote the notes.")])
    e2e.api.script("notes", [tool("Write", {"file_path": notes, "content": "# Notes\n"})], [text("Notes written.")])
    run = e2e.run("Have an agent write the notes [[e2e:main]]")
    sid = run.session_id
    assert (e2e.project / "docs/notes.md").read_text() == "# Notes\n"
    assert [t.answered for t in e2e.api.turns("notes")] == ["tool_use", "end_turn"]

    agents = subagents(e2e)
    assert list(agents) == ["Write the notes"]
    agent = agents["Write the notes"]
    aid = agent["id"]
    assert (agent["session_id"], agent["agent_type"], agent["status"]) == (sid, "general-purpose", "completed")
    assert json.loads(agent["files_changed"]) == ["docs/notes.md"]
    assert agent["end_time"] and agent["tool_use_id"] == e2e.api.turns("main")[0].answer[0]["id"]
    spawn = e2e.rows("SELECT * FROM agent_spawns")
    assert [(x["tool_use_id"], x["agent_id"], x["parent_agent_id"]) for x in spawn] == \
        [(agent["tool_use_id"], aid, f"main:{sid}")]

    # the subagent's own events carry its id; the Agent call itself is the main thread's
    write_id = e2e.api.turns("notes")[0].answer[0]["id"]
    write_events = e2e.hook_events("tool_use_id = ?", (write_id,))
    assert [(w["event_type"], w["agent_id"]) for w in write_events] == [("PreToolUse", aid), ("PostToolUse", aid)]
    assert [e["event_type"] for e in e2e.hook_events("agent_id = ? AND tool_name IS NULL", (aid,))][:1] == ["SubagentStart"]
    assert "SubagentStop" in [e["event_type"] for e in e2e.hook_events("agent_id = ?", (aid,))]
    agent_call_id = e2e.api.turns("main")[0].answer[0]["id"]
    assert [e["agent_id"] for e in e2e.hook_events("tool_use_id = ?", (agent_call_id,))] == [None, None]
    claims = e2e.rows("SELECT agent_id, file_path, status, phase FROM file_claims")
    assert claims == [{"agent_id": aid, "file_path": "docs/notes.md", "status": "held", "phase": "done"}]
    e2e.assert_tool_calls_recorded("main")
    e2e.assert_tool_calls_recorded("notes")


@pytest.mark.parametrize("policy", ["warn", "deny"])
def test_two_subagents_write_the_same_file(e2e, policy):
    """Agent A writes shared.txt and stays running until B has tried to write it too: B's write
    meets A's live claim. The stand-in orders the two parallel agents (Step.after)."""
    e2e.configure({"claims": {"policy": policy}})
    shared = e2e.path("shared.txt")
    e2e.api.script("main", [agent_call("First writer", "first"), agent_call("Second writer", "second")],
                   [text("Both agents are done.")])
    e2e.api.script("first", [tool("Write", {"file_path": shared, "content": "from the first\n"})],
                   Step([text("First done.")], after=("second", 3)))
    e2e.api.script("second", Step([tool("Read", {"file_path": shared})], after=("first", 2)),
                   [tool("Write", {"file_path": shared, "content": "from the second\n"})],
                   [text("Second done.")])
    e2e.run("Two agents write shared.txt [[e2e:main]]")

    agents = subagents(e2e)
    first, second = agents["First writer"]["id"], agents["Second writer"]["id"]
    second_write = e2e.api.turns("second")[1].answer[0]["id"]
    conflicts = e2e.rows("SELECT * FROM claim_conflicts")
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert (conflict["file_path"], conflict["agent_id"], conflict["holder_agent_id"], conflict["holder_task"]) == \
        ("shared.txt", second, first, "First writer")
    assert (conflict["tool_use_id"], conflict["policy"], conflict["answer"]) == (second_write, policy, policy)

    # what the second agent's model read after its write: the hook's words, with the result
    after_write = e2e.api.turns("second")[2]
    result = after_write.tool_results()[second_write]
    said = f"hookledger: shared.txt is held by agent {first} (general-purpose), working on \"First writer\""
    claims = {(c["agent_id"], c["status"]) for c in e2e.rows("SELECT agent_id, status FROM file_claims")}
    pre = e2e.hook_events("tool_use_id = ? AND event_type = 'PreToolUse'", (second_write,))[0]
    if policy == "warn":
        assert not result.get("is_error")
        assert said in after_write.context_after(second_write)
        assert (e2e.project / "shared.txt").read_text() == "from the second\n"
        assert claims == {(first, "held"), (second, "shared")}
        assert pre["outcome"] == "answered"
        e2e.assert_tool_calls_recorded("second")
    else:
        assert result.get("is_error") is True
        assert said in str(result["content"]) and "claims.policy=deny" in str(result["content"])
        assert (e2e.project / "shared.txt").read_text() == "from the first\n"
        assert claims == {(first, "held")}
        assert pre["outcome"] == "blocked"
        e2e.assert_tool_calls_recorded("second", denied=(second_write,))
    assert {a["status"] for a in agents.values()} == {"completed"}
