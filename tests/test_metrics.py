"""session_metrics and project_state through the real hooks: token usage from the transcript
(de-duplicated, incremental, lag-tolerant), counts, idempotence; manifest detection cached."""

from __future__ import annotations

import json
import os

from conftest import HOOKS, ROOT, load_fixture, rows, run_hook

from hookledger.faces.replay import replay

SID = "ebf09a36-f40b-44e4-9ed7-9d1599a096ce"


def assistant(msg_id: str, request: str, output: int, inp: int = 100, cache_read: int = 0) -> str:
    return json.dumps({"type": "assistant", "requestId": request, "sessionId": SID,
                       "message": {"id": msg_id, "model": "claude-opus-4-8", "role": "assistant",
                                   "content": [{"type": "text", "text": "hi"}],
                                   "usage": {"input_tokens": inp, "output_tokens": output,
                                             "cache_creation_input_tokens": 0, "cache_read_input_tokens": cache_read}}})


def decoded(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value  # timestamps are stored as plain text


def metrics(project, sid=SID) -> dict:
    return {r["key"]: decoded(r["value"]) for r in rows(
        project, "SELECT key, value FROM session_metrics WHERE session_id = ? AND event_type = 'summary'", (sid,))}


def stop(project, transcript):
    payload = load_fixture("Stop__default", project)
    payload["transcript_path"] = str(transcript)
    proc = run_hook("Stop", payload, project)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    assert rows(project, "SELECT outcome FROM hook_events ORDER BY id DESC LIMIT 1")[0]["outcome"] == "ok"


def test_token_usage_deduplicated_and_read_incrementally(project):
    transcript = project / "session.jsonl"
    # One message streamed as a partial snapshot, then three content blocks repeating the usage.
    lines = [assistant("msg_1", "req_1", 3), assistant("msg_1", "req_1", 40), assistant("msg_1", "req_1", 40),
             assistant("msg_1", "req_1", 40, cache_read=7), json.dumps({"type": "user", "message": {"content": "x"}}),
             assistant("msg_2", "req_2", 10, inp=200)]
    transcript.write_text("\n".join(lines) + "\n")
    stop(project, transcript)
    m = metrics(project)
    assert (m["assistant_messages"], m["tokens_output"], m["tokens_input"], m["tokens_cache_read"]) == (2, 50, 300, 7)
    # Lagging writer: a half-written line is left for the next read.
    with open(transcript, "a") as fh:
        fh.write(assistant("msg_2", "req_2", 12, inp=200) + "\n" + assistant("msg_3", "req_3", 5)[:40])
    stop(project, transcript)
    assert metrics(project)["tokens_output"] == 52 and metrics(project)["assistant_messages"] == 2
    with open(transcript, "a") as fh:
        fh.write(assistant("msg_3", "req_3", 5)[40:] + "\n")
    stop(project, transcript)
    assert metrics(project)["tokens_output"] == 57 and metrics(project)["assistant_messages"] == 3
    # Idempotent: reading again (no new lines) changes nothing, one row per key.
    stop(project, transcript)
    assert metrics(project)["tokens_output"] == 57
    keys = rows(project, "SELECT key, count(*) AS n FROM session_metrics GROUP BY session_id, key HAVING n > 1")
    assert keys == []
    # A replaced (shorter) transcript is read from the start; keys keep the counts right.
    transcript.write_text(assistant("msg_1", "req_1", 40) + "\n")
    stop(project, transcript)
    assert metrics(project)["tokens_output"] == 57


def test_missing_transcript_tolerated(project):
    stop(project, project / "not-written-yet.jsonl")
    m = metrics(project)
    assert m["assistant_messages"] == 0 and m["tool_calls"] == 0
    assert rows(project, "SELECT count(*) AS n FROM transcript_cursors")[0]["n"] == 0


def test_recorded_session_counts(project):
    replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/a_basic.jsonl"), str(project), str(HOOKS))
    m = metrics(project)
    by_tool = m["tool_calls_by_tool"]
    assert sum(by_tool.values()) == m["tool_calls"] > 0
    events = rows(project, "SELECT tool_name, count(*) AS n FROM hook_events WHERE session_id = ?"
                  " AND event_type IN ('PostToolUse', 'PostToolUseFailure') GROUP BY tool_name", (SID,))
    assert by_tool == {e["tool_name"]: e["n"] for e in events}
    assert m["failures"] == rows(project, "SELECT count(*) AS n FROM error_log WHERE session_id = ?", (SID,))[0]["n"] >= 1
    assert m["first_file_change_at"] and m["duration_seconds"] >= 0 and m["compactions"] == 0


def test_first_passing_test_and_compactions(project):
    ok = load_fixture("PostToolUse__Bash", project)
    run_hook("PostToolUse", dict(ok, tool_input={"command": "echo hi"}), project)
    run_hook("PostToolUse", dict(ok, tool_use_id="t2", tool_input={"command": "uv run pytest -q"}), project)
    run_hook("PostToolUse", dict(ok, tool_use_id="t3", tool_input={"command": "pytest tests"}), project)
    first = rows(project, "SELECT timestamp FROM hook_events WHERE tool_use_id = 't2'")[0]["timestamp"]
    run_hook("Stop", load_fixture("Stop__default", project), project)
    assert metrics(project)["first_passing_test_at"] == first
    compact = dict(load_fixture("SessionStart__compact", project), session_id=SID)
    run_hook("SessionStart", compact, project)
    run_hook("SessionStart", compact, project)
    assert metrics(project)["compactions"] == 2


def state(project) -> dict:
    return {r["key"]: (json.loads(r["value"]), r["updated_at"]) for r in rows(project, "SELECT * FROM project_state")}


def test_project_state_detected_cached_and_refreshed(project):
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n[tool.ruff]\nline-length = 100\n[tool.mypy]\n")
    (project / "uv.lock").write_text("")
    start = load_fixture("SessionStart__startup", project)
    run_hook("SessionStart", start, project)
    s = state(project)
    assert s["languages"][0] == ["python"] and s["package_manager"][0] == "uv"
    assert (s["test_command"][0], s["lint_command"][0], s["typecheck_command"][0]) == (
        "uv run pytest", "uv run ruff check .", "uv run mypy .")
    run_hook("SessionStart", start, project)
    assert state(project)["languages"][1] == s["languages"][1]  # unchanged manifests: not rewritten
    (project / "package.json").write_text(json.dumps({"scripts": {"test": "vitest", "lint": "eslint ."}}))
    (project / "tsconfig.json").write_text("{}")
    (project / "pnpm-lock.yaml").write_text("")
    os.utime(project / "package.json", (1, 1))
    run_hook("SessionStart", start, project)
    s2 = state(project)
    assert s2["languages"][0] == ["python", "typescript"] and s2["languages"][1] > s["languages"][1]
    assert s2["test_command"][0] == "uv run pytest"  # the first language decides
    (project / "pyproject.toml").unlink()
    (project / "uv.lock").unlink()
    run_hook("SessionStart", start, project)
    s3 = state(project)
    assert (s3["package_manager"][0], s3["test_command"][0], s3["lint_command"][0], s3["typecheck_command"][0]) == (
        "pnpm", "pnpm test", "pnpm run lint", "pnpm tsc --noEmit")


def test_recorded_transcript_usage_counted_once_per_message(project):
    """a_basic's transcript repeats usage across content blocks: 253 output tokens naively, 197 once each."""
    replay(str(ROOT / "lib/hookledger/faces/demo_sessions/sessions/a_basic.jsonl"), str(project), str(HOOKS))
    path = ROOT / "lib/hookledger/faces/demo_sessions/transcripts/a_basic" / f"{SID}.jsonl"
    best: dict = {}
    naive = 0
    for line in path.read_text().splitlines():
        record = json.loads(line)
        if record.get("type") == "assistant":
            usage = record["message"].get("usage") or {}
            key = (record["message"]["id"], record.get("requestId"))
            best[key] = max(best.get(key, 0), usage.get("output_tokens", 0))
            naive += usage.get("output_tokens", 0)
    m = metrics(project)
    assert m["tokens_output"] == sum(best.values()) < naive
    assert m["assistant_messages"] == len(best)


def test_compactions_counted_from_transcript_boundaries(project):
    transcript = project / "session.jsonl"
    boundary = json.dumps({"type": "system", "subtype": "compact_boundary", "compactMetadata": {"trigger": "auto"}})
    transcript.write_text(assistant("m1", "r1", 5) + "\n" + boundary + "\n")
    stop(project, transcript)
    assert metrics(project)["compactions"] == 1 and metrics(project)["transcript_compactions"] == 1
    with open(transcript, "a") as fh:
        fh.write(assistant("m2", "r2", 5) + "\n" + boundary + "\n")
    stop(project, transcript)
    stop(project, transcript)  # nothing new: still 2
    assert metrics(project)["compactions"] == 2


def test_claude_code_version_from_the_environment_then_the_transcript(project):
    """SessionStart records the version in Claude Code's AI_AGENT variable; reading the
    transcript (Stop) records the version its records carry. A replay-free, real hook run each."""
    start = load_fixture("SessionStart__startup", project)
    start["session_id"] = SID
    proc = run_hook("SessionStart", start, project, env={"AI_AGENT": "claude-code_2-1-197_harness"})
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    assert metrics(project)["claude_code_version"] == "2.1.197"
    transcript = project / "session.jsonl"
    record = json.loads(assistant("msg_v", "req_v", 5))
    transcript.write_text(json.dumps({**record, "version": "2.1.332"}) + "\n")
    stop(project, transcript)
    assert metrics(project)["claude_code_version"] == "2.1.332"
    # no AI_AGENT (or not Claude Code's): nothing recorded for that session
    other = {**start, "session_id": "another-session"}
    run_hook("SessionStart", other, project, env={"AI_AGENT": "cursor_1-0"})
    assert "claude_code_version" not in metrics(project, "another-session")
