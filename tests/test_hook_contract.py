"""Every captured Claude Code payload, piped into the real hook executable, is recorded once
and answered in exactly the shape its event accepts."""

from __future__ import annotations

import json

import pytest

from conftest import fixture_names, load_fixture, rows, run_hook

HOOKED = {"SessionStart", "UserPromptSubmit", "PreToolUse", "PostToolUse", "PostToolUseFailure",
          "PostToolBatch", "SubagentStart", "SubagentStop", "Stop", "PreCompact", "PostCompact",
          "SessionEnd", "TaskCreated", "TaskCompleted"}
# hookSpecificOutput variants Claude Code accepts (reference §3.2)
SPECIFIC_OK = {"PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch", "UserPromptSubmit",
               "SessionStart", "SubagentStart"}


def hooked_fixtures() -> list[str]:
    return [n for n in fixture_names() if n.split("__")[0] in HOOKED]


@pytest.mark.parametrize("name", hooked_fixtures())
def test_fixture_recorded_once_with_valid_output(name, project):
    payload = load_fixture(name, project)
    event = payload["hook_event_name"]
    proc = run_hook(event, payload, project)
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stdout + proc.stderr
    if proc.stdout.strip():
        answer = json.loads(proc.stdout)
        specific = answer.get("hookSpecificOutput")
        assert specific is not None and event in SPECIFIC_OK
        assert specific["hookEventName"] == event
    recorded = rows(project, "SELECT * FROM hook_events")
    assert len(recorded) == 1
    row = recorded[0]
    assert row["event_type"] == event
    assert row["session_id"] == payload["session_id"]
    assert row["outcome"] in ("ok", "answered"), row["error"]
    assert row["exit_code"] == 0
    assert row["duration_ms"] >= 0
    assert row["event_uid"]
    assert row["agent_id"] == payload.get("agent_id")
    assert row["tool_name"] == payload.get("tool_name")
    summary = json.loads(row["payload_summary"])
    assert summary["hook_event_name"] == event
    assert len(row["payload_summary"]) <= 2048


def test_database_created_private_with_wal(project):
    run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    db = project / ".claude-session.db"
    assert db.stat().st_mode & 0o777 == 0o600
    assert rows(project, "PRAGMA journal_mode")[0]["journal_mode"] == "wal"


def test_hookledger_db_overrides_project(project, tmp_path):
    target = tmp_path / "elsewhere.db"
    run_hook("Stop", load_fixture("Stop__default", project), project, env={"HOOKLEDGER_DB": str(target)})
    assert target.exists() and not (project / ".claude-session.db").exists()


def test_payload_cwd_used_when_project_dir_missing(project, tmp_path):
    import os
    import subprocess
    import sys

    from conftest import hook_path

    payload = load_fixture("Stop__default", project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    proc = subprocess.run([sys.executable, str(hook_path("Stop"))], input=json.dumps(payload).encode(),
                          capture_output=True, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0
    assert len(rows(project, "SELECT * FROM hook_events")) == 1


def test_secrets_redacted_in_summary(project):
    payload = load_fixture("PreToolUse__Bash", project)
    payload["tool_input"]["command"] = "curl -H 'x-api-key: sk-ant-api03-SECRETSECRETSECRET' https://api && export GITHUB_TOKEN=ghp_" + "a" * 36
    run_hook("PreToolUse", payload, project)
    summary = rows(project, "SELECT payload_summary FROM hook_events")[0]["payload_summary"]
    assert "SECRETSECRET" not in summary and "ghp_aaaa" not in summary
    assert "[REDACTED" in summary


def test_off_switch_records_nothing(project):
    proc = run_hook("Stop", load_fixture("Stop__default", project), project, env={"HOOKLEDGER_OFF": "1"})
    assert proc.returncode == 0 and proc.stdout == b"" and proc.stderr == b""
    assert not (project / ".claude-session.db").exists()
