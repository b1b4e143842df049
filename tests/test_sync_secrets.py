"""No secret reaches a target: not from a recorded session whose prompt, commands, tool input,
output and errors carry credentials, and not from a ledger row that holds one unredacted
(sync redacts on its own, whatever the ledger did). Every text value of every table is read
back, and the database files themselves are searched byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sync_support as s
from test_sync_end_to_end import TARGETS, make, sync_cli

ANTHROPIC = "sk-ant-api03-Pl4ntedSecretValue0123456789"
GITHUB = "ghp_" + "Q7" * 18
AWS = "AKIAIOSFODNN7PLANTED"
PASSWORD = "hunter2-correct-horse"  # matches no pattern: only its field's name says it is secret
SECRETS = (ANTHROPIC, GITHUB, AWS, PASSWORD)


def plant(call: dict) -> dict:
    """One recorded hook call with credentials where real sessions leak them."""
    stdin = call["stdin"]
    if call["event"] == "UserPromptSubmit":
        stdin["prompt"] += f" Use the key {ANTHROPIC} for the API."
    tool_input = stdin.get("tool_input")
    if isinstance(tool_input, dict) and tool_input.get("command", "").startswith("ls /nonexistent"):
        tool_input["command"] = f"curl -sf -H 'Authorization: Bearer {GITHUB}' https://api.example.com/nonexistent-dir-xyz"
        if "error" in stdin:
            stdin["error"] = f"Exit code 22\ncurl: (22) 401 for token {GITHUB} (key {AWS})"
    if isinstance(tool_input, dict) and tool_input.get("command", "").startswith("cat hello.txt"):
        tool_input["env"] = {"AWS_ACCESS_KEY_ID": AWS, "password": PASSWORD}
        if isinstance(stdin.get("tool_response"), dict):
            stdin["tool_response"]["stdout"] = f"aws_access_key_id = {AWS}\npassword: {PASSWORD}\nok"
    return call


@pytest.fixture(scope="module")
def leaky(tmp_path_factory) -> tuple[Path, Path]:
    """(project, ledger) after replaying a_basic with credentials planted in it."""
    from hookledger.faces.demo import hooks_dir_for_demo
    from hookledger.hotpath.paths import DB_NAME
    from hookledger.faces.replay import demo_sessions, replay

    root = tmp_path_factory.mktemp("secrets")
    project = root / "acme-app"
    project.mkdir()
    recording = root / "a_basic.jsonl"  # same name: the recorded transcripts are staged too
    lines = Path(demo_sessions()["a_basic"]).read_text().splitlines()
    recording.write_text("".join(json.dumps(plant(json.loads(line))) + "\n" for line in lines if line.strip()))
    result = replay(str(recording), str(project), hooks_dir_for_demo(str(root)),
                    extra_env={"HOOKLEDGER_DB": str(project / DB_NAME)})
    assert result.calls and all(c.exit_code == 0 for c in result.calls)
    return project, project / DB_NAME


def assert_no_secret(path: Path, secrets: tuple[str, ...]) -> None:
    for table, column, value in s.text_values(path):
        for secret in secrets:
            assert secret not in value, (table, column, value)
    for file in path.parent.glob(path.name + "*"):  # the database, its -wal and -shm
        data = file.read_bytes()
        assert not [x for x in secrets if x.encode() in data], file


@pytest.mark.parametrize("variant", ["created", "seed"])
@pytest.mark.parametrize("target", TARGETS)
def test_recorded_secrets_never_reach_a_target(leaky, tmp_path, target, variant):
    project, ledger = leaky
    path = make(target, variant, tmp_path / f"{target}.db")
    sync_cli(target, path, project)
    assert_no_secret(path, SECRETS)
    # the planted values were there to be leaked: the command and its failure did reach the target
    texts = " ".join(v for _, _, v in s.text_values(path))
    assert "api.example.com" in texts and "[REDACTED" in texts


@pytest.mark.parametrize("target", TARGETS)
def test_unredacted_ledger_rows_are_redacted_by_sync(tmp_path, target):
    """Rows holding secrets raw, as an older ledger might: build_ledger puts SECRET into
    error_log and hook_events; here a tool call also carries a password under a secret-named
    key and tokens in its output."""
    ledger, project = s.setup(tmp_path)
    conn = s.connect(str(ledger))
    s.insert(conn, "hook_events", session_id=s.SID_B, timestamp=s.ago(3), event_type="PostToolUse",
             dispatcher="PostToolUse", event_uid="raw-1", tool_name="Bash", tool_use_id="toolu_raw", outcome="ok",
             payload_summary=json.dumps({"tool_name": "Bash", "tool_input": {"command": "deploy", "password": PASSWORD},
                                         "tool_response": {"stdout": f"token={GITHUB} id={AWS}"}}), replayed=0)
    s.insert(conn, "error_log", session_id=s.SID_B, timestamp=s.ago(2), agent_id=s.SUB_LIVE, error_category="build",
             error_message=f"push rejected for {GITHUB}", attempt_number=1, tool_name="Bash", command=f"git push {GITHUB}")
    conn.close()
    raw = " ".join(v for _, _, v in s.text_values(ledger))
    assert all(x in raw for x in (s.SECRET, PASSWORD, GITHUB, AWS))
    path = tmp_path / f"{target}.db"
    s.run(target, ledger, path, project)
    assert_no_secret(path, (s.SECRET, PASSWORD, GITHUB, AWS))
