"""`hookledger agents` and `hookledger claims` read back what the hooks recorded."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import HOOKS, ROOT, load_fixture, run_hook

from hookledger.faces.cli import cli


def invoke(*args, code=0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def conflicted_project(project):
    from hookledger.faces.replay import replay

    replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/b_subagent.jsonl"), str(project), str(HOOKS))
    for agent_id in ("agentA", "agentB"):
        call = load_fixture("PreToolUse__subagent_Write", project)
        call.update(agent_id=agent_id, tool_use_id=f"t_{agent_id}",
                    tool_input={"file_path": str(project / "app.py"), "content": ""})
        run_hook("PreToolUse", call, project)


def test_agents_table_and_json(project):
    conflicted_project(project)
    table = invoke("agents", "--project", str(project))
    assert "general-purpose" in table and "Write a file" in table and "completed" in table
    agents = json.loads(invoke("agents", "--project", str(project), "--json"))
    sub = next(a for a in agents if a["agent_id"] == "aff41339c1597efe4")
    assert sub["files_changed"] == ["sub.txt"] and sub["status"] == "completed"
    live = json.loads(invoke("agents", "--project", str(project), "--live", "--json"))
    assert {a["agent_id"] for a in live} == {"agentA", "agentB"}
    assert all(a["unattributed"] is True for a in live)


def test_claims_owners_all_and_conflicts(project):
    conflicted_project(project)
    owners = json.loads(invoke("claims", "--project", str(project), "--json"))
    assert {(o["file_path"], o["holder_agent_id"], o["live"]) for o in owners} == \
        {("sub.txt", "aff41339c1597efe4", 0), ("app.py", "agentA", 1)}
    every = json.loads(invoke("claims", "--project", str(project), "--all", "--file", "app.py", "--json"))
    assert [c["agent_id"] for c in every] == ["agentA"]
    conflicts = json.loads(invoke("claims", "--project", str(project), "--conflicts", "--json"))
    assert [(c["agent_id"], c["holder_agent_id"], c["policy"], c["answer"]) for c in conflicts] == \
        [("agentB", "agentA", "warn", "warn")]
    table = invoke("claims", "--project", str(project), "--conflicts")
    assert "agentB" in table and "warn" in table
    assert "no agent matches 'nobody'" in invoke("claims", "--project", str(project), "--agent", "nobody", code=1)
    by_label = json.loads(invoke("claims", "--project", str(project), "--all", "--agent", "general-purpose\u00b7aff41339",
                                 "--json"))
    assert [c["file_path"] for c in by_label] == ["sub.txt"]


def test_missing_ledger_is_a_friendly_error(project):
    result = CliRunner().invoke(cli, ["agents", "--project", str(project)])
    assert result.exit_code != 0 and "no ledger" in result.output
