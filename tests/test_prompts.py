"""UserPromptSubmit keeps what was asked: the prompts table, through the real hook."""

from __future__ import annotations

import json

from conftest import load_fixture, rows, run_hook

from hookledger.handlers.prompts import MAX_PROMPT_CHARS

SID = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"  # the fixture's session


def submit(project, prompt: str, **extra) -> None:
    payload = load_fixture("UserPromptSubmit__default", project)
    payload.update(prompt=prompt, **extra)
    for key, value in extra.items():
        if value is None:
            payload.pop(key)
    proc = run_hook("UserPromptSubmit", payload, project)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"", b""), proc.stderr


def prompts(project):
    return rows(project, "SELECT * FROM prompts ORDER BY id")


def test_the_prompt_text_is_kept_under_its_prompt_id(project):
    submit(project, "Add a --verbose flag to the CLI and test it.")
    [row] = prompts(project)
    assert row["session_id"] == SID
    assert row["prompt_id"] == "c8e8a83c-91e3-4dd7-bd89-f76dae1da43a"
    assert row["text"] == "Add a --verbose flag to the CLI and test it."
    assert (row["chars"], row["truncated"], row["source"], row["agent_id"]) == (44, 0, "hook", None)


def test_a_secret_in_a_prompt_is_redacted_and_a_long_prompt_capped(project):
    key = "AKIA" + "Q3EGRT5KXB7MWN2P"
    submit(project, f"deploy with AWS_ACCESS_KEY_ID={key} please")
    long = "x" * (MAX_PROMPT_CHARS + 5000)
    submit(project, long, prompt_id="0d9b3d2e-0000-4000-8000-000000000002")
    first, second = prompts(project)
    assert key not in first["text"] and "REDACTED" in first["text"]
    assert first["text"].startswith("deploy with")
    assert (len(second["text"]), second["chars"], second["truncated"]) == (MAX_PROMPT_CHARS, len(long), 1)


def test_capture_prompts_false_keeps_only_the_length(project):
    (project / ".claude").mkdir(exist_ok=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"capture": {"prompts": False}}))
    submit(project, "a private question")
    [row] = prompts(project)
    assert (row["text"], row["chars"], row["truncated"]) == (None, 18, 0)


def test_the_same_prompt_twice_is_one_row_and_a_prompt_without_id_is_still_kept(project):
    submit(project, "once")
    submit(project, "once")
    submit(project, "from an older Claude Code", prompt_id=None)
    found = prompts(project)
    assert [r["text"] for r in found] == ["once", "from an older Claude Code"]
    assert found[1]["prompt_id"].startswith("hook-")


def test_a_subagent_prompt_names_its_agent(project):
    submit(project, "sub task", agent_id="aff41339c1597efe4", prompt_id="0d9b3d2e-0000-4000-8000-000000000003")
    [row] = prompts(project)
    assert row["agent_id"] == "aff41339c1597efe4"
