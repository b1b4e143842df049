"""Context that survives compaction: recorded sessions replayed through the real hooks, with
errors injected, and the SessionStart answers and snapshots read back."""

from __future__ import annotations

import json
import os
import sqlite3
import time

from conftest import HOOKS, ROOT, load_fixture, rows, run_hook

from hookledger.faces.replay import HookCall, load, run_call, stage_transcripts

C_COMPACT = ROOT / "lib/hookledger/faces/demo_sessions/sessions/c_compact.jsonl"
SID = "653000e5-5ec8-4bd1-8e55-ed16fefd33d1"
FAILING = "python -m pytest tests/test_calc.py -q"
ERROR = "Exit code 1\nFAILED tests/test_calc.py::test_add - assert 3 == 4\n1 failed in 0.10s"


def failure(like: HookCall, n: int, command: str = FAILING, error: str = ERROR) -> HookCall:
    stdin = {k: like.stdin[k] for k in ("session_id", "transcript_path", "cwd") if k in like.stdin}
    stdin.update(hook_event_name="PostToolUseFailure", tool_name="Bash", tool_use_id=f"toolu_inj{n}",
                 tool_input={"command": command, "description": "run the tests"}, error=error)
    return HookCall("PostToolUseFailure", stdin, like.env)


def replay_with_errors(project, failures: int = 3, drop_precompact: bool = False, before: str = "PreCompact"):
    """c_compact with `failures` failing test runs injected just before the compaction."""
    home = str(project / ".home")
    stage_transcripts("c_compact", home, str(project))
    calls = load(str(C_COMPACT), str(project), home)
    at = next(i for i, c in enumerate(calls) if c.event == before)
    calls[at:at] = [failure(calls[at], n) for n in range(failures)]
    if drop_precompact:
        calls = [c for c in calls if c.event != "PreCompact"]
    results = []
    for call in calls:
        if call.event in {"InstructionsLoaded", "MessageDisplay"}:
            continue
        results.append((call, run_call(call, str(HOOKS), str(project))))
    return results


def brief_of(result) -> str:
    answer = json.loads(result.stdout)
    assert answer["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    return answer["hookSpecificOutput"]["additionalContext"]


def compact_start(results):
    return next(r for c, r in results if c.event == "SessionStart" and c.stdin.get("source") == "compact")


def test_manual_compaction_brief_carries_open_error_and_failed_path(project):
    results = replay_with_errors(project)
    assert all(r.exit_code == 0 and not r.stderr for _, r in results), [r.stderr for _, r in results if r.stderr]
    brief = brief_of(compact_start(results))
    assert len(brief) <= 8000
    assert f"`{FAILING}` failed 3 times" in brief and "tests/test_calc.py" in brief
    assert "assert 3 == 4" in brief and "escalated for research" in brief
    assert f"Running `{FAILING}` again" in brief  # the failed path recorded at escalation
    assert brief.index("Errors still unresolved") < brief.index("Approaches already tried")
    assert "before.txt" in brief  # files touched before the compaction
    snaps = rows(project, "SELECT snapshot_type, content FROM context_snapshots WHERE session_id = ? ORDER BY id", (SID,))
    kinds = [s["snapshot_type"] for s in snaps]
    assert kinds.index("pre_compact") < kinds.index("post_compact")
    pre = json.loads(next(s["content"] for s in snaps if s["snapshot_type"] == "pre_compact"))
    assert pre["trigger"] == "manual" and "built_by" not in pre
    for key in ("live_agents", "open_claims", "unresolved_errors", "failed_paths", "tasks", "files_touched", "metrics"):
        assert key in pre
    assert pre["unresolved_errors"][0]["attempts"] == 3 and pre["failed_paths"][0]["file_path"] == "tests/test_calc.py"
    assert pre["metrics"]["failures"] == 3


def test_compaction_without_precompact_builds_the_snapshot(project):
    """Auto-compaction paths that skip PreCompact: SessionStart(compact) does the work itself."""
    results = replay_with_errors(project, drop_precompact=True)
    brief = brief_of(compact_start(results))
    assert f"`{FAILING}` failed 3 times" in brief and f"Running `{FAILING}` again" in brief
    snaps = rows(project, "SELECT snapshot_type, content FROM context_snapshots WHERE session_id = ? ORDER BY id", (SID,))
    built = [json.loads(s["content"]) for s in snaps if s["snapshot_type"] == "pre_compact"]
    assert len(built) == 1 and built[0]["built_by"] == "SessionStart(compact)"
    assert rows(project, "SELECT value FROM session_metrics WHERE session_id = ? AND key = 'compactions'"
                " AND event_type = 'summary'", (SID,)) == [{"value": "1"}]


def test_fixed_error_is_not_in_the_brief(project):
    home = str(project / ".home")
    calls = load(str(C_COMPACT), str(project), home)
    at = next(i for i, c in enumerate(calls) if c.event == "PreCompact")
    ok = HookCall("PostToolUse", {**failure(calls[at], 9).stdin, "hook_event_name": "PostToolUse",
                                  "tool_response": {"stdout": "3 passed", "stderr": ""}}, calls[at].env)
    ok.stdin.pop("error")
    calls[at:at] = [failure(calls[at], n) for n in range(3)] + [ok]
    out = {}
    for call in calls:
        if call.event not in {"InstructionsLoaded", "MessageDisplay"}:
            out[id(call)] = run_call(call, str(HOOKS), str(project))
    brief = brief_of(next(out[id(c)] for c in calls if c.stdin.get("source") == "compact"))
    assert "Errors still unresolved" not in brief and "Approaches already tried" not in brief
    assert {r["resolution"] for r in rows(project, "SELECT resolution FROM error_log")} == {"auto_fixed"}


def test_brief_stays_within_max_chars_with_a_flood_of_errors(project):
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"brief": {"max_chars": 3000}}))
    base = load_fixture("PostToolUseFailure__Bash", project)
    for n in range(25):
        payload = dict(base, tool_use_id=f"t{n}", tool_input={"command": f"./run_step_{n}.sh --flag {n}"},
                       error="Exit code 1\n" + f"step {n} exploded: " + "x" * 2000)
        for attempt in range(3 if n < 8 else 1):
            run_hook("PostToolUseFailure", dict(payload, tool_use_id=f"t{n}_{attempt}"), project)
    start = load_fixture("SessionStart__compact", project)
    start["session_id"] = base["session_id"]
    brief = brief_of(run_hook("SessionStart", start, project))
    assert len(brief) <= 3000
    lines = brief.splitlines()
    assert lines[1] == "Errors still unresolved (most attempts first):"
    assert "failed 3 times" in lines[2]  # the most repeated first
    assert len(lines) == len(set(lines))


def test_next_startup_closes_out_and_offers_previous_brief(project):
    fail = load_fixture("PostToolUseFailure__Bash", project)  # session A, never ends
    run_hook("SessionStart", dict(load_fixture("SessionStart__startup", project), session_id=fail["session_id"]), project)
    run_hook("PostToolUseFailure", fail, project)
    start_b = load_fixture("SessionStart__startup", project)
    start_b["session_id"] = "bbbbbbbb-0000-4000-8000-000000000000"
    proc = run_hook("SessionStart", start_b, project)
    brief = brief_of(proc)
    assert "previous session" in brief and "`ls /nonexistent-dir-xyz` failed once" in brief
    assert "still open when the session ended" in brief
    a = rows(project, "SELECT status, end_reason FROM sessions WHERE session_id = ?", (fail["session_id"],))[0]
    assert a == {"status": "abandoned", "end_reason": "closed_out"}
    assert rows(project, "SELECT resolution FROM error_log") == [{"resolution": "abandoned"}]
    end = rows(project, "SELECT content FROM context_snapshots WHERE snapshot_type = 'session_end'")
    assert json.loads(end[0]["content"])["closed_out_by"] == start_b["session_id"]
    # Session A was alive after all: its next tool call revives it and its error.
    ok = load_fixture("PostToolUse__Bash", project)
    ok["tool_input"] = {"command": "echo still here"}
    run_hook("PostToolUse", ok, project)
    assert rows(project, "SELECT status FROM sessions WHERE session_id = ?", (fail["session_id"],)) == [{"status": "active"}]
    assert rows(project, "SELECT resolution, resolved_at FROM error_log") == [{"resolution": None, "resolved_at": None}]


def test_no_brief_when_previous_session_is_old_or_irrelevant_or_cleared(project):
    start = load_fixture("SessionStart__startup", project)
    run_hook("SessionStart", start, project)
    second = dict(start, session_id="cccccccc-0000-4000-8000-000000000000")
    assert run_hook("SessionStart", second, project).stdout == b""  # nothing relevant recorded
    run_hook("PostToolUseFailure", dict(load_fixture("PostToolUseFailure__Bash", project), session_id=second["session_id"]), project)
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    conn.execute("UPDATE sessions SET last_event_at = '2020-01-01 00:00:00.000', started_at = '2020-01-01 00:00:00.000'")
    conn.commit()
    conn.close()
    assert run_hook("SessionStart", dict(start, session_id="dddddddd-0000-4000-8000-000000000000"), project).stdout == b""
    clear = dict(load_fixture("SessionStart__clear", project), session_id="eeeeeeee-0000-4000-8000-000000000000")
    assert run_hook("SessionStart", clear, project).stdout == b""


def test_session_end_well_within_budget(project):
    """SessionEnd with a big ledger and a 30 MB transcript never read before."""
    transcript = project / "t.jsonl"
    line = json.dumps({"type": "assistant", "requestId": "r", "message": {"id": "m", "usage": {"output_tokens": 5}},
                       "pad": "y" * 900}) + "\n"
    with open(transcript, "w") as fh:
        for n in range(30_000):
            fh.write(line.replace('"m"', f'"m{n}"'))
    end = load_fixture("SessionEnd__other", project)
    end["transcript_path"] = str(transcript)
    run_hook("SessionStart", dict(load_fixture("SessionStart__startup", project), session_id=end["session_id"],
                                  transcript_path=str(transcript)), project)
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    for n in range(3000):
        conn.execute("INSERT INTO hook_events (session_id, event_type, tool_name, event_uid) VALUES (?, 'PostToolUse', 'Bash', ?)",
                     (end["session_id"], f"u{n}"))
        conn.execute("INSERT INTO error_log (session_id, error_category, error_message, signature) VALUES (?, 'test', 'boom', ?)",
                     (end["session_id"], f"sig{n % 50}"))
        conn.execute("INSERT INTO file_claims (session_id, agent_id, file_path, phase) VALUES (?, 'a', ?, 'done')",
                     (end["session_id"], f"f{n % 200}.py"))
    conn.commit()
    conn.close()
    started = time.perf_counter()
    proc = run_hook("SessionEnd", end, project)
    wall = time.perf_counter() - started
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    recorded = rows(project, "SELECT duration_ms, outcome FROM hook_events WHERE event_type = 'SessionEnd'")[0]
    assert recorded["outcome"] == "ok"
    print(f"SessionEnd wall {wall * 1000:.0f} ms, in-hook {recorded['duration_ms']} ms")
    assert wall < 1.0 and recorded["duration_ms"] < 700, (wall, recorded)
    assert rows(project, "SELECT count(*) AS n FROM context_snapshots WHERE snapshot_type = 'session_end'")[0]["n"] == 1
    consumed = rows(project, "SELECT offset FROM transcript_cursors")[0]["offset"]
    assert 0 < consumed <= 4 << 20 < os.path.getsize(transcript)  # the rest waits for the next read


def test_brief_lists_unfinished_tasks_and_errors_carry_the_task(project):
    start = load_fixture("SessionStart__startup", project)
    sid = start["session_id"]
    run_hook("SessionStart", start, project)
    conn = sqlite3.connect(str(project / ".claude-session.db"))
    conn.executemany("INSERT INTO tasks (session_id, task_id, subject, status, agent_id) VALUES (?, ?, ?, ?, ?)", [
        (sid, "1", "Write the parser", "completed", None), (sid, "2", "Fix the adder", "in_progress", f"main:{sid}"),
        (sid, "3", "Document it", "pending", None)])
    conn.commit()
    conn.close()
    run_hook("PostToolUseFailure", dict(load_fixture("PostToolUseFailure__Bash", project), session_id=sid), project)
    assert rows(project, "SELECT task_id FROM error_log") == [{"task_id": "2"}]
    brief = brief_of(run_hook("SessionStart", dict(load_fixture("SessionStart__compact", project), session_id=sid), project))
    assert "- #2 [in_progress] Fix the adder" in brief and "- #3 [pending] Document it" in brief
    assert "Write the parser" not in brief
    assert brief.index("#2 [in_progress]") < brief.index("#3 [pending]")
