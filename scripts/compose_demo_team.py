#!/usr/bin/env python3
"""Compose the demo's `f_team` session from real captured Claude Code payloads.

Every line is a payload captured from Claude Code 2.1.197 (tests/fixtures/events, the same as
/work/shared/fixtures/events), with only ids, paths, commands, texts and results changed, so
each keeps the exact shape Claude Code sends. The story, replayed through the real hooks by
`hookledger demo`:

1. the main thread starts two general-purpose subagents: a parser writer and a test writer;
2. the writer creates src/parser.py, then the tester edits it while the writer is still
   running: a claim conflict between two subagents (answered with a warning);
3. the tester's test run fails three times: an escalated error, with its failed path;
4. the main thread creates a task and marks it completed: the quality gate (checks mode, set
   up by demo_sessions/projects/f_team/dot-claude/hookledger.json, copied into the demo
   project as .claude/hookledger.json with the parser and its tests) runs those tests for
   real; they fail on blank lines, and the gate refuses the completion: a block verdict;
5. a manual compaction: PreCompact, the summariser's SubagentStop, SessionStart(compact)
   with the continuity brief, PostCompact;
6. the session goes on (no SessionEnd): the tester is still running and the error still open.

Run from the repository root: python3 scripts/compose_demo_team.py
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "tests" / "fixtures" / "events"
OUT = ROOT / "lib" / "hookledger" / "faces" / "demo_sessions" / "sessions" / "f_team.jsonl"

PROJECT = "/home/dev/acme-app"
SESSION = "7c1e5b2a-9d40-4f6e-8a3b-2f5d0c9e1a77"
TRANSCRIPT = f"/home/dev/.claude/projects/-home-dev-acme-app/{SESSION}.jsonl"
PROMPT_1 = "3e9d4c1a-6b2f-4e8a-9c7d-1f0a2b3c4d5e"
PROMPT_2 = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
WRITER, TESTER = "a3f9c2e81b7d40c55", "b81d2e6c4f0a93e17"
PARSER = f"{PROJECT}/src/parser.py"
PROJECT_FILES = ROOT / "lib" / "hookledger" / "faces" / "demo_sessions" / "projects" / "f_team"
TEST_RUN = "python3 -m unittest -q tests.test_parser"  # also the gate's check (dot-claude/hookledger.json)
TEST_ERROR = ("Exit code 1\n======================================================================\n"
              "ERROR: test_blank_line (tests.test_parser.ParseTest.test_blank_line)\n"
              "----------------------------------------------------------------------\n"
              "Traceback (most recent call last):\n"
              '  File "/home/dev/acme-app/src/parser.py", line 3, in parse\n'
              "    return {k.strip(): v.strip() for k, v in pairs}\n"
              "ValueError: not enough values to unpack (expected 2, got 1)\n\n"
              "----------------------------------------------------------------------\n"
              "Ran 2 tests in 0.001s\n\nFAILED (errors=1)")
SUMMARISER = "a9e8f7a6b5c4d3e2f"
SUMMARY = ("<analysis>The user asked for a config parser with tests.</analysis>\n<summary>\n1. Primary Request and Intent:"
           " a config parser (src/parser.py) with tests, one subagent each.\n2. State: the parser is written;"
           " tests.test_parser fails on blank lines (ValueError).\n</summary>")


def real(name: str) -> tuple[dict, dict]:
    """(stdin, env) of a captured payload, as Claude Code sent them."""
    data = json.loads((EVENTS / f"{name}.json").read_text())
    return copy.deepcopy(data["stdin"]), copy.deepcopy(data["env"])


def retarget(stdin: dict, env: dict, prompt_id: str | None = PROMPT_1) -> None:
    """Move a payload into this session (ids that name the session and the prompt)."""
    stdin["session_id"] = SESSION
    if "transcript_path" in stdin:
        stdin["transcript_path"] = TRANSCRIPT
    if "prompt_id" in stdin and prompt_id:
        stdin["prompt_id"] = prompt_id
    env["CLAUDE_CODE_SESSION_ID"] = SESSION
    if "CLAUDE_ENV_FILE" in env:
        env["CLAUDE_ENV_FILE"] = f"/home/dev/.claude/session-env/{SESSION}/sessionstart-hook-0.sh"


def as_agent(stdin: dict, agent_id: str | None) -> None:
    """Sent from inside a subagent (agent_id and agent_type right after permission_mode, as
    Claude Code orders them), or from the main thread (neither)."""
    stdin.pop("agent_id", None)
    stdin.pop("agent_type", None)
    if agent_id is None:
        return
    items = list(stdin.items())
    keys = [k for k, _ in items]
    after = "permission_mode" if "permission_mode" in keys else "prompt_id" if "prompt_id" in keys else "cwd"
    at = keys.index(after) + 1
    stdin.clear()
    stdin.update(items[:at] + [("agent_id", agent_id), ("agent_type", "general-purpose")] + items[at:])


calls: list[dict] = []


def emit(event: str, stdin: dict, env: dict) -> None:
    assert stdin["hook_event_name"] == event
    calls.append({"event": event, "stdin": stdin, "env": env})


def batch(agent: str | None, tool_name: str, tool_input: dict, tool_use_id: str, response: str) -> None:
    stdin, env = real("PostToolBatch__general-purpose" if agent else "PostToolBatch__default")
    retarget(stdin, env)
    as_agent(stdin, agent)
    stdin["tool_calls"] = [{"tool_name": tool_name, "tool_input": tool_input, "tool_use_id": tool_use_id,
                            "tool_response": response}]
    emit("PostToolBatch", stdin, env)


def launch(description: str, prompt: str, tool_use_id: str, agent_id: str) -> None:
    stdin, env = real("PreToolUse__Agent")
    retarget(stdin, env)
    stdin["tool_input"] = {"description": description, "prompt": prompt, "subagent_type": "general-purpose"}
    stdin["tool_use_id"] = tool_use_id
    emit("PreToolUse", stdin, env)
    stdin, env = real("SubagentStart__general-purpose")
    retarget(stdin, env)
    stdin["agent_id"] = agent_id
    emit("SubagentStart", stdin, env)


def tool(agent: str | None, pre: str, post: str, tool_input: dict, tool_use_id: str, response: dict,
         batch_text: str) -> None:
    for name, event in ((pre, "PreToolUse"), (post, "PostToolUse")):
        stdin, env = real(name)
        retarget(stdin, env)
        as_agent(stdin, agent)
        stdin["tool_input"] = tool_input
        stdin["tool_use_id"] = tool_use_id
        if event == "PostToolUse":
            stdin["tool_response"] = response
        emit(event, stdin, env)
    batch(agent, stdin["tool_name"], tool_input, tool_use_id, batch_text)


def failing_test_run(n: int) -> None:
    tool_input = {"command": TEST_RUN, "description": "Run the parser tests"}
    tool_use_id = f"toolu_01f7a3c9e2b5d8{n:03d}"
    stdin, env = real("PreToolUse__subagent_Bash")
    retarget(stdin, env)
    as_agent(stdin, TESTER)
    stdin.update(tool_input=tool_input, tool_use_id=tool_use_id)
    emit("PreToolUse", stdin, env)
    stdin, env = real("PostToolUseFailure__Bash")
    retarget(stdin, env)
    as_agent(stdin, TESTER)
    stdin.update(tool_input=tool_input, tool_use_id=tool_use_id, error=TEST_ERROR, duration_ms=812 + 37 * n)
    emit("PostToolUseFailure", stdin, env)
    batch(TESTER, "Bash", tool_input, tool_use_id, TEST_ERROR)


def subagent_done(agent_id: str, message: str, launched_by: str, description: str, prompt: str) -> None:
    stdin, env = real("SubagentStop__general-purpose")
    retarget(stdin, env)
    stdin["agent_id"] = agent_id
    stdin["agent_transcript_path"] = f"/home/dev/.claude/projects/-home-dev-acme-app/{SESSION}/subagents/agent-{agent_id}.jsonl"
    stdin["last_assistant_message"] = message
    emit("SubagentStop", stdin, env)
    tool_input = {"description": description, "prompt": prompt, "subagent_type": "general-purpose"}
    stdin, env = real("PostToolUse__Agent")
    retarget(stdin, env)
    stdin["tool_input"] = tool_input
    stdin["tool_use_id"] = launched_by
    response = stdin["tool_response"]
    response.update(prompt=prompt, agentId=agent_id, content=[{"type": "text", "text": message}])
    emit("PostToolUse", stdin, env)
    batch(None, "Agent", tool_input, launched_by, message)


def task_step(pre_input: dict, tool_use_id: str, event: str, fixture: str, task: dict) -> None:
    """The PreToolUse of a task tool, then the task event it makes Claude Code fire."""
    stdin, env = real("PreToolUse__" + ("TaskCreate" if event == "TaskCreated" else "TaskUpdate"))
    retarget(stdin, env)
    stdin.update(tool_input=pre_input, tool_use_id=tool_use_id)
    emit("PreToolUse", stdin, env)
    stdin, env = real(fixture)
    retarget(stdin, env)
    stdin.update(task)
    emit(event, stdin, env)


def compose() -> list[dict]:
    calls.clear()
    stdin, env = real("SessionStart__startup")
    retarget(stdin, env)
    emit("SessionStart", stdin, env)
    stdin, env = real("UserPromptSubmit__default")
    retarget(stdin, env)
    stdin["prompt"] = ("[[agent:main]] Write a parser for the config format in src/parser.py and tests for it;"
                       " use one subagent for the parser and one for the tests, then track the work as a task.")
    emit("UserPromptSubmit", stdin, env)

    writer_prompt = "[[agent:writer]] Write src/parser.py: parse 'key = value' lines into a dict."
    tester_prompt = "[[agent:tester]] Write tests/test_parser.py for src/parser.py and make them pass."
    launch("Write the parser", writer_prompt, "toolu_01a1b2c3d4e5f6a70", WRITER)
    launch("Write the parser tests", tester_prompt, "toolu_01b2c3d4e5f6a7b80", TESTER)

    source = (PROJECT_FILES / "src" / "parser.py").read_text()  # the file the demo project holds
    tool(WRITER, "PreToolUse__subagent_Write", "PostToolUse__subagent_Write", {"file_path": PARSER, "content": source},
         "toolu_01c3d4e5f6a7b8c90",
         {"type": "create", "filePath": PARSER, "content": source, "structuredPatch": [], "originalFile": None,
          "userModified": False},
         f"File created successfully at: {PARSER} (file state is current in your context \u2014 no need to Read it back)")
    tests = f"{PROJECT}/tests/test_parser.py"  # the tester's file
    test_source = (PROJECT_FILES / "tests" / "test_parser.py").read_text()
    tool(TESTER, "PreToolUse__subagent_Write", "PostToolUse__subagent_Write", {"file_path": tests, "content": test_source},
         "toolu_01d4e5f6a7b8c9d00",
         {"type": "create", "filePath": tests, "content": test_source, "structuredPatch": [], "originalFile": None,
          "userModified": False},
         f"File created successfully at: {tests} (file state is current in your context \u2014 no need to Read it back)")
    # The tester edits the writer's file while the writer still runs: a conflict between two subagents.
    edit = {"file_path": PARSER, "old_string": "def parse(text):",
            "new_string": 'def parse(text):\n    """The `key = value` lines of `text` as a dict."""', "replace_all": False}
    stdin, _ = real("PostToolUse__Edit")
    edit_response = stdin["tool_response"]
    edit_response.update(filePath=PARSER, oldString=edit["old_string"], newString=edit["new_string"],
                         originalFile=source, structuredPatch=[], userModified=False, replaceAll=False)
    tool(TESTER, "PreToolUse__Edit", "PostToolUse__Edit", edit, "toolu_01e5f6a7b8c9d0e10", edit_response,
         f"The file {PARSER} has been updated successfully.")
    for n in range(3):
        failing_test_run(n)
    subagent_done(WRITER, "Parser written: src/parser.py parses 'key = value' lines.", "toolu_01a1b2c3d4e5f6a70",
                  "Write the parser", writer_prompt)

    create = {"subject": "Ship the config parser", "description": "Parser and its tests pass",
              "activeForm": "Shipping the config parser"}
    task = {"task_id": "1", "task_subject": create["subject"], "task_description": create["description"]}
    task_step(create, "toolu_01f6a7b8c9d0e1f20", "TaskCreated", "TaskCreated__default", task)
    stdin, env = real("PostToolUse__TaskCreate")
    retarget(stdin, env)
    stdin.update(tool_input=create, tool_use_id="toolu_01f6a7b8c9d0e1f20",
                 tool_response={"task": {"id": "1", "subject": create["subject"]}})
    emit("PostToolUse", stdin, env)
    batch(None, "TaskCreate", create, "toolu_01f6a7b8c9d0e1f20", f"Task #1 created successfully: {create['subject']}")
    started = {"taskId": "1", "status": "in_progress"}
    tool(None, "PreToolUse__TaskUpdate", "PostToolUse__TaskUpdate", started, "toolu_01a7b8c9d0e1f2a30",
         {"success": True, "taskId": "1", "updatedFields": ["status"], "statusChange": {"from": "pending", "to": "in_progress"}},
         "Updated task #1 status")
    done = {"taskId": "1", "status": "completed"}
    task_step(done, "toolu_01b8c9d0e1f2a3b40", "TaskCompleted", "TaskCompleted__default", task)
    refused = ("TaskCompleted hook feedback:\n[/home/dev/.local/share/hookledger/venv/bin/python"
               " /home/dev/.local/share/hookledger/hooks/task_completed.py # hookledger]: hookledger quality gate:"
               f' task 1 "{create["subject"]}" stays open: 1 of 1 check(s) did not pass.')
    stdin, env = real("PostToolUse__TaskUpdate")
    retarget(stdin, env)
    stdin.update(tool_input=done, tool_use_id="toolu_01b8c9d0e1f2a3b40",
                 tool_response={"success": False, "taskId": "1", "updatedFields": [], "error": refused})
    emit("PostToolUse", stdin, env)
    batch(None, "TaskUpdate", done, "toolu_01b8c9d0e1f2a3b40", refused)
    stdin, env = real("Stop__default")
    retarget(stdin, env)
    stdin["last_assistant_message"] = "The parser is written; its tests still fail on empty input."
    emit("Stop", stdin, env)

    # A manual compaction, in the order Claude Code fired its hooks in c_compact.
    for name, event in (("PreCompact__manual", "PreCompact"), ("SubagentStop__default", "SubagentStop"),
                        ("SessionStart__compact", "SessionStart"), ("PostCompact__manual", "PostCompact")):
        stdin, env = real(name)
        retarget(stdin, env, PROMPT_2)
        if event == "PostCompact":
            stdin["compact_summary"] = SUMMARY
        if event == "SubagentStop":  # the summariser: empty agent_type, as Claude Code sends it
            stdin["agent_id"] = SUMMARISER
            stdin["agent_transcript_path"] = f"/home/dev/.claude/projects/-home-dev-acme-app/{SESSION}/subagents/agent-{SUMMARISER}.jsonl"
            stdin["last_assistant_message"] = SUMMARY
        emit(event, stdin, env)
    stdin, env = real("UserPromptSubmit__default")
    retarget(stdin, env, PROMPT_2)
    stdin["prompt"] = "[[agent:main]] Carry on: get the parser tests passing."
    emit("UserPromptSubmit", stdin, env)
    return calls


def main() -> None:
    lines = [json.dumps(c, ensure_ascii=False) for c in compose()]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} hook calls to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
