"""Bad input never breaks Claude Code: exit 0 in time, one stderr line, raw input kept."""

from __future__ import annotations

import json
import time

import pytest

from conftest import load_fixture, rows, run_hook


def good(project):
    return load_fixture("PreToolUse__Bash", project)


def without(d, key):
    d = dict(d)
    d.pop(key)
    return d


CASES = {
    "empty": lambda p: b"",
    "whitespace": lambda p: b"  \n",
    "not_json": lambda p: b"this is not json {",
    "json_array": lambda p: b'[{"hook_event_name": "PreToolUse"}]',
    "json_string": lambda p: b'"PreToolUse"',
    "missing_session_id": lambda p: json.dumps(without(good(p), "session_id")).encode(),
    "null_session_id": lambda p: json.dumps({**good(p), "session_id": None}).encode(),
    "wrong_event_name": lambda p: json.dumps({**good(p), "hook_event_name": "PostToolUse"}).encode(),
    "invalid_utf8": lambda p: json.dumps(good(p)).encode().replace(b"acme-app", b"acme\xff\xfe-app"),
    "tool_input_is_string": lambda p: json.dumps({**good(p), "tool_input": "ls -la"}).encode(),
    "session_id_is_number": lambda p: json.dumps({**good(p), "session_id": 12345}).encode(),
    "tool_name_missing": lambda p: json.dumps(without(good(p), "tool_name")).encode(),
    "truncated_json": lambda p: json.dumps(good(p)).encode()[:-20],
    "deeply_nested": lambda p: b'{"a":' * 100000 + b"1" + b"}" * 100000,
    "garbage_20mb": lambda p: b"\x00garbage" * (20 * 1024 * 1024 // 8),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_exits_0_with_one_line_and_is_kept(case, project):
    data = CASES[case](project)
    started = time.monotonic()
    proc = run_hook("PreToolUse", data, project)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0
    assert proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hookledger PreToolUse: ignored bad input")
    assert elapsed < 5
    [row] = rows(project, "SELECT * FROM hook_events")
    assert row["outcome"] == "bad_input"
    assert row["exit_code"] == 0
    assert row["error"]
    assert row["payload_summary"] is not None and len(row["payload_summary"]) <= 4200
    if data.strip():
        assert row["payload_summary"][:10] == data[:10].decode("utf-8", "replace")[:10]


def test_raw_input_redacted_when_kept(project):
    data = b'{"oops": "ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwx", '
    run_hook("PreToolUse", data, project)
    [row] = rows(project, "SELECT payload_summary FROM hook_events")
    assert "abcdefghijklmnop" not in row["payload_summary"]


def test_wrong_event_keeps_session_for_inspection(project):
    payload = {**good(project), "hook_event_name": "PostToolUse"}
    run_hook("PreToolUse", payload, project)
    [row] = rows(project, "SELECT session_id, error FROM hook_events")
    assert row["session_id"] == payload["session_id"]
    assert "PostToolUse" in row["error"]


def test_large_valid_payload_recorded_in_time(project):
    payload = load_fixture("PostToolUse__Write", project)
    payload["tool_input"]["content"] = "x" * (20 * 1024 * 1024)
    started = time.monotonic()
    proc = run_hook("PostToolUse", payload, project)
    assert time.monotonic() - started < 5
    assert proc.returncode == 0 and proc.stdout == b""
    assert len(proc.stderr.decode().strip().splitlines()) <= 1
    [row] = rows(project, "SELECT outcome, payload_summary FROM hook_events")
    assert row["outcome"] == "ok"
    assert len(row["payload_summary"]) <= 2048
    assert f"<{20 * 1024 * 1024} chars>" in row["payload_summary"]


def test_lone_surrogates_are_stored(project):
    payload = good(project)
    text = json.dumps(payload).replace("cat hello.txt", "cat \\ud800.txt")
    proc = run_hook("PreToolUse", text.encode(), project)
    assert proc.returncode == 0 and proc.stderr == b""
    [row] = rows(project, "SELECT outcome FROM hook_events")
    assert row["outcome"] == "ok"


def test_unknown_fields_and_newer_values_are_accepted(project):
    payload = {**good(project), "brand_new_field": {"x": 1}, "permission_mode": "someFutureMode"}
    proc = run_hook("PreToolUse", payload, project)
    assert proc.returncode == 0 and proc.stderr == b""
    assert rows(project, "SELECT outcome FROM hook_events")[0]["outcome"] == "ok"
