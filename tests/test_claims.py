"""File claims and the conflict policy, through the real hooks and parallel hook processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from conftest import hook_path, ledger_path, load_fixture, rows, run_hook

SUB = "aff41339c1597efe4"


def configure(project, **claims):
    (project / ".claude").mkdir(exist_ok=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"claims": claims}))


def write_call(project, agent_id, path="shared.py", tool_use_id=None, event="PreToolUse", **extra):
    payload = load_fixture(f"{event}__subagent_Write", project)
    payload.update(agent_id=agent_id, tool_use_id=tool_use_id or f"toolu_{agent_id}",
                   tool_input={"file_path": str(project / path), "content": "x\n"}, **extra)
    if agent_id is None:
        payload.pop("agent_id")
        payload.pop("agent_type")
    return payload


def answer(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["hookSpecificOutput"] if proc.stdout.strip() else None


def start(project, agent_id, description="Refactor the parser"):
    call = load_fixture("PreToolUse__Agent", project)
    call.update(tool_use_id=f"toolu_spawn_{agent_id}",
                tool_input={**call["tool_input"], "description": description})
    run_hook("PreToolUse", call, project)
    run_hook("SubagentStart", {**load_fixture("SubagentStart__general-purpose", project), "agent_id": agent_id}, project)


def holders(project, path="shared.py"):
    return rows(project, "SELECT agent_id FROM file_claims WHERE file_path = ? AND status = 'held'", (path,))


@pytest.mark.parametrize("tool,key,extra", [
    ("Write", "file_path", {"content": "x"}),
    ("Edit", "file_path", {"old_string": "a", "new_string": "b"}),
    ("MultiEdit", "file_path", {"edits": []}),
    ("NotebookEdit", "notebook_path", {"new_source": "print(1)"}),
])
def test_file_tools_claim_with_operation(project, tool, key, extra):
    payload = load_fixture("PreToolUse__Write", project)
    payload.update(tool_name=tool, tool_input={key: str(project / "src" / "nb.ipynb"), **extra})
    assert run_hook("PreToolUse", payload, project).returncode == 0
    claim = rows(project, "SELECT * FROM file_claims")
    assert [(c["file_path"], c["operation"], c["status"], c["phase"]) for c in claim] == \
        [("src/nb.ipynb", tool, "held", "requested")]
    assert claim[0]["agent_id"] == f"main:{payload['session_id']}"


def test_bash_evident_writes_claimed_relative_to_cwd(project):
    (project / "sub").mkdir()
    payload = load_fixture("PreToolUse__Bash", project)
    payload.update(cwd=str(project / "sub"),
                   tool_input={"command": "echo hi > out.txt && sed -i s/a/b/ ../conf.ini; rm /tmp/elsewhere.log"})
    run_hook("PreToolUse", payload, project)
    assert rows(project, "SELECT file_path, operation FROM file_claims ORDER BY id") == [
        {"file_path": "sub/out.txt", "operation": "bash:redirect"},
        {"file_path": "conf.ini", "operation": "bash:sed -i"},
        {"file_path": "/tmp/elsewhere.log", "operation": "bash:rm"},
    ]
    post = {**payload, "hook_event_name": "PostToolUse", "tool_response": {"stdout": "", "stderr": ""}}
    run_hook("PostToolUse", post, project)
    assert rows(project, "SELECT DISTINCT phase FROM file_claims") == [{"phase": "done"}]
    main = rows(project, "SELECT files_changed FROM agent_registry WHERE agent_type = 'main'")[0]
    assert json.loads(main["files_changed"]) == ["sub/out.txt", "conf.ini", "/tmp/elsewhere.log"]


def test_read_only_bash_claims_nothing(project):
    run_hook("PreToolUse", load_fixture("PreToolUse__subagent_Bash", project), project)
    assert rows(project, "SELECT * FROM file_claims") == []


@pytest.mark.parametrize("policy", ["warn", "ask", "deny"])
def test_policy_answers_name_holder_and_task(project, policy):
    if policy != "warn":  # warn is the default: no config file needed
        configure(project, policy=policy)
    start(project, "agentA", "Refactor the parser")
    start(project, "agentB", "Fix the tests")
    assert answer(run_hook("PreToolUse", write_call(project, "agentA"), project)) is None
    out = answer(run_hook("PreToolUse", write_call(project, "agentB"), project))
    text = out.get("additionalContext") if policy == "warn" else out["permissionDecisionReason"]
    assert "agentA" in text and "Refactor the parser" in text and "shared.py" in text
    if policy == "warn":
        assert "permissionDecision" not in out  # the call proceeds under the user's own rules
    else:
        assert out["permissionDecision"] == policy
    conflict = rows(project, "SELECT * FROM v_claim_conflicts")
    assert [(c["agent_id"], c["holder_agent_id"], c["holder_task"], c["policy"], c["answer"], c["file_path"])
            for c in conflict] == [("agentB", "agentA", "Refactor the parser", policy, policy, "shared.py")]
    assert holders(project) == [{"agent_id": "agentA"}]
    # the audit row says what happened to the call: only a deny stops it
    [audit] = rows(project, "SELECT outcome FROM hook_events WHERE event_type = 'PreToolUse' AND agent_id = 'agentB'")
    assert audit["outcome"] == ("blocked" if policy == "deny" else "answered")


def test_warned_write_that_goes_ahead_is_recorded_as_shared(project):
    start(project, "agentA")
    start(project, "agentB")
    run_hook("PreToolUse", write_call(project, "agentA"), project)
    run_hook("PreToolUse", write_call(project, "agentB"), project)
    run_hook("PostToolUse", write_call(project, "agentB", event="PostToolUse", tool_response={}), project)
    assert rows(project, "SELECT agent_id, status, phase FROM file_claims ORDER BY id") == [
        {"agent_id": "agentA", "status": "held", "phase": "requested"},
        {"agent_id": "agentB", "status": "shared", "phase": "done"},
    ]


def test_no_conflict_when_holder_finished_outside_window_or_same_agent(project):
    configure(project, policy="deny", window_seconds=300)
    start(project, "agentA")
    start(project, "agentB")
    run_hook("PreToolUse", write_call(project, "agentA"), project)
    # The same agent again: fine.
    assert answer(run_hook("PreToolUse", write_call(project, "agentA", tool_use_id="t2"), project)) is None
    # Holder finished: the file is free.
    run_hook("SubagentStop", {**load_fixture("SubagentStop__general-purpose", project), "agent_id": "agentA"}, project)
    assert answer(run_hook("PreToolUse", write_call(project, "agentB"), project)) is None
    assert rows(project, "SELECT released_at IS NOT NULL AS released FROM file_claims WHERE agent_id = 'agentA'") == \
        [{"released": 1}, {"released": 1}]
    # agentB now holds it; its claim aged out of the window: agentC may take it.
    conn = sqlite3.connect(str(ledger_path(project)))
    with conn:
        conn.execute("UPDATE file_claims SET timestamp = datetime(timestamp, '-301 seconds') WHERE agent_id = 'agentB'")
    conn.close()
    assert answer(run_hook("PreToolUse", write_call(project, "agentC"), project)) is None
    assert rows(project, "SELECT * FROM claim_conflicts") == []


def test_main_thread_is_a_holder_too(project):
    configure(project, policy="deny")
    run_hook("PreToolUse", write_call(project, None, tool_use_id="tmain"), project)
    out = answer(run_hook("PreToolUse", write_call(project, "agentB"), project))
    assert out["permissionDecision"] == "deny" and "main thread" in out["permissionDecisionReason"]


def test_bad_config_falls_back_to_warn(project):
    configure(project, policy="explode", window_seconds="soon")
    start(project, "agentA")
    run_hook("PreToolUse", write_call(project, "agentA"), project)
    out = answer(run_hook("PreToolUse", write_call(project, "agentB"), project))
    assert "additionalContext" in out and "permissionDecision" not in out


def test_failed_tool_marks_claim_failed(project):
    run_hook("PreToolUse", write_call(project, "agentA"), project)
    failure = {**write_call(project, "agentA", event="PreToolUse"), "hook_event_name": "PostToolUseFailure",
               "error": "permission denied"}
    run_hook("PostToolUseFailure", failure, project)
    assert rows(project, "SELECT phase FROM file_claims") == [{"phase": "failed"}]
    assert rows(project, "SELECT files_changed FROM agent_registry WHERE id = 'agentA'") == [{"files_changed": None}]


@pytest.mark.parametrize("policy,announced", [("warn", True), ("ask", True), ("deny", True), ("deny", False)])
def test_parallel_race_exactly_one_holder(project, policy, announced):
    """N hook processes (different agents, same unclaimed file) start at once: one holds it,
    every other one is answered by the policy naming that holder. Unannounced: no ledger yet
    and no SubagentStart, so the racers also race to create the database and their rows."""
    configure(project, policy=policy)
    n = 6
    agents = [f"racer{i}" for i in range(n)]
    for a in agents:
        if announced:
            start(project, a, f"task of {a}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["CLAUDE_PROJECT_DIR"] = str(project)
    procs = [subprocess.Popen([sys.executable, str(hook_path("PreToolUse"))], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(project))
             for _ in agents]
    for proc, a in zip(procs, agents):  # every process is running before any gets its input
        proc.stdin.write((json.dumps(write_call(project, a)) + "\n").encode())
        proc.stdin.close()
    outputs = []
    for proc in procs:
        out, err = proc.stdout.read(), proc.stderr.read()
        assert proc.wait(timeout=60) == 0, err
        outputs.append(json.loads(out)["hookSpecificOutput"] if out.strip() else None)
    held = holders(project)
    assert len(held) == 1
    winner = held[0]["agent_id"]
    for a, out in zip(agents, outputs):
        if a == winner:
            assert out is None
            continue
        assert out is not None, a
        text = out["additionalContext"] if policy == "warn" else out["permissionDecisionReason"]
        assert winner in text and (f"task of {winner}" in text or not announced)
        assert out.get("permissionDecision") == (None if policy == "warn" else policy)
    conflicts = rows(project, "SELECT agent_id, holder_agent_id, answer FROM claim_conflicts")
    assert sorted(c["agent_id"] for c in conflicts) == sorted(a for a in agents if a != winner)
    assert {(c["holder_agent_id"], c["answer"]) for c in conflicts} == {(winner, policy)}
    assert len(rows(project, "SELECT * FROM hook_events WHERE event_type = 'PreToolUse'")) == (2 if announced else 1) * n
