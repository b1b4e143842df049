"""`hookledger import` against the real hooks: the recorded sessions (tests/fixtures: what Claude
Code sent the hooks, and the transcripts it wrote) replayed through hooks/ and imported from their
transcripts must record the same tool calls, errors, files, subagents, compactions and tokens;
importing into a ledger the hooks filled adds nothing; re-importing adds nothing; appended lines
are read incrementally; bad lines are counted and skipped."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HOOKS, ROOT, rows

from hookledger.faces.replay import load, replay, run_call, stage_transcripts

TRANSCRIPTS = ROOT / "lib/hookledger/faces/demo_sessions/transcripts"
SESSIONS = ROOT / "lib/hookledger/faces/demo_sessions/sessions"
RECORDED = ["a_basic", "b_subagent", "c_compact", "e_tasks"]

# What the hooks and the import must agree on, row for row (times aside: a hook writes when it
# runs, the import when the transcript says it happened).
SAME = {
    "tool calls": "SELECT tool_use_id, event_type, tool_name, agent_id FROM hook_events"
                  " WHERE event_type IN ('PostToolUse', 'PostToolUseFailure') ORDER BY tool_use_id",
    "errors": "SELECT tool_use_id, task_id, agent_id, file_path, error_category, signature, tool_name, command, attempt_number,"
              " resolution, escalation, resolved_at IS NOT NULL,"
              # e_tasks' message names the capture harness under /home/dev, which the replay moved
              " replace(error_message, rtrim(error_message, replace(error_message, '/', '')), '') AS message_tail"
              " FROM error_log ORDER BY tool_use_id",
    "files": "SELECT tool_use_id, agent_id, file_path, operation, status, phase, released_at IS NOT NULL"
             " FROM file_claims ORDER BY tool_use_id, file_path",
    "agents": "SELECT id, agent_type, task_description, status, files_changed, tool_use_id, end_time IS NOT NULL"
              " FROM agent_registry ORDER BY id",
    "spawns": "SELECT tool_use_id, parent_agent_id, subagent_type, description, prompt, agent_id, status"
              " FROM agent_spawns ORDER BY tool_use_id",
    "tokens": "SELECT session_id, message_key, model, input_tokens, output_tokens, cache_creation_input_tokens,"
              " cache_read_input_tokens, cache_creation_5m_tokens, cache_creation_1h_tokens, timestamp, agent_id"
              " FROM transcript_usage ORDER BY message_key",
    "sessions": "SELECT session_id, status, subagents, files_changed, errors, open_errors, compactions, tool_calls"
                " FROM v_sessions ORDER BY session_id",
    "prompts": "SELECT session_id, prompt_id, text, chars FROM prompts ORDER BY prompt_id",
    "tasks": "SELECT session_id, task_id, subject, description, status, agent_id, status_reason IS NOT NULL FROM tasks"
             " ORDER BY 1, 2",
    "metrics": "SELECT session_id, key, value FROM session_metrics WHERE key IN ('tool_calls', 'tool_calls_by_tool',"
               " 'failures', 'failures_auto_fixed', 'failures_escalated', 'compactions', 'assistant_messages',"
               " 'tokens_input', 'tokens_output', 'tokens_cache_creation', 'tokens_cache_read') ORDER BY 1, 2",
}


def table(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(str(db))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    return {name: table(db, sql) for name, sql in SAME.items()}


def stage(name: str, project: Path, dest: Path) -> Path:
    """The session's transcripts as Claude Code would have written them in `project`."""
    source = TRANSCRIPTS / name
    for path in source.rglob("*.jsonl"):
        out = dest / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(path.read_text().replace("/home/dev/acme-app", str(project)))
    return dest


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    env["PYTHONPATH"] = str(ROOT / "lib")
    return subprocess.run([sys.executable, "-m", "hookledger", *args], capture_output=True, text=True, env=env,
                          cwd=str(cwd) if cwd else None)


def do_import(project: Path, *paths: Path, extra: tuple[str, ...] = ()) -> dict:
    proc = cli("import", "--project", str(project), *map(str, paths), "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def hooked(project: Path, name: str, home: Path, keep=None) -> Path:
    """Replay the recorded session through the real hooks (only the calls `keep` lets through)."""
    if keep is None:
        replay(str(SESSIONS / f"{name}.jsonl"), str(project), str(HOOKS), home=str(home))
    else:
        stage_transcripts(name, str(home), str(project))
        for call in load(str(SESSIONS / f"{name}.jsonl"), str(project), str(home)):
            if keep(call):
                run_call(call, str(HOOKS), str(project))
    return project / ".claude-session.db"


def move_ledger(project: Path, to: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        src = project / f".claude-session.db{suffix}"
        if src.exists():
            shutil.move(str(src), str(to) + suffix)
    return to


def differences(expected: dict, got: dict) -> dict:
    return {k: {"hooks": sorted(set(map(repr, expected[k])) - set(map(repr, got[k]))),
                "import": sorted(set(map(repr, got[k])) - set(map(repr, expected[k])))}
            for k in expected if expected[k] != got[k]}


@pytest.mark.parametrize("name", RECORDED)
def test_import_into_an_empty_ledger_records_what_the_hooks_saw(tmp_path, name):
    project = tmp_path / "acme-app"
    project.mkdir()
    hook_db = move_ledger(project, tmp_path / "hooks.db") if hooked(project, name, tmp_path / "home") else None
    transcripts = stage(name, project, tmp_path / "transcripts")
    report = do_import(project, transcripts)
    assert report["files_read"] == report["files"] > 0 and report["bad_lines"] == 0
    expected, got = snapshot(hook_db), snapshot(project / ".claude-session.db")
    assert differences(expected, got) == {}
    assert all(v for v in (expected["tool calls"], expected["tokens"], expected["agents"]))
    marks = rows(project, "SELECT (SELECT count(*) FROM sessions WHERE origin IS NOT 'import') AS s,"
                          " (SELECT count(*) FROM hook_events WHERE origin IS NOT 'import') AS e,"
                          " (SELECT count(*) FROM transcript_usage WHERE source != 'import') AS u,"
                          " (SELECT count(*) FROM prompts WHERE source != 'import') AS p,"
                          " (SELECT count(*) FROM hook_events WHERE duration_ms IS NOT NULL) AS timed")[0]
    assert marks == {"s": 0, "e": 0, "u": 0, "p": 0, "timed": 0}  # every row marked, no hook timings
    again = do_import(project, transcripts)
    assert again["files_unchanged"] == again["files"] and again["tool_calls"] == again["responses"] == 0
    assert snapshot(project / ".claude-session.db") == got


@pytest.mark.parametrize("name", RECORDED)
def test_import_into_the_ledger_the_hooks_recorded_adds_nothing(tmp_path, name):
    project = tmp_path / "acme-app"
    project.mkdir()
    db = hooked(project, name, tmp_path / "home")
    before = snapshot(db)
    events = table(db, "SELECT count(*) FROM hook_events")
    report = do_import(project, stage(name, project, tmp_path / "transcripts"))
    assert (report["tool_calls"], report["errors"], report["file_changes"], report["prompts"], report["responses"]) \
        == (0, 0, 0, 0, 0)
    assert report["sessions"] >= 1 and report["new_sessions"] == 0
    assert table(db, "SELECT count(*) FROM hook_events") == events
    assert differences(before, snapshot(db)) == {}


def test_import_fills_what_the_hooks_missed(tmp_path):
    """Hooks off after the first failure (HOOKLEDGER_OFF, settings rewritten): the import adds
    the rest, keyed by tool_use_id, and the ledger ends as if the hooks had seen everything."""
    name = "a_basic"
    full_project = tmp_path / "full" / "acme-app"
    full_project.mkdir(parents=True)
    full = snapshot(hooked(full_project, name, tmp_path / "home1"))
    project = tmp_path / "acme-app"
    project.mkdir()
    seen = {"stop": False}

    def until_failure(call) -> bool:
        keep = not seen["stop"]
        seen["stop"] = seen["stop"] or call.event == "PostToolUseFailure"
        return keep

    db = hooked(project, name, tmp_path / "home2", keep=until_failure)
    partial = snapshot(db)
    assert len(partial["tool calls"]) == 3 and partial["tokens"] == []
    report = do_import(project, stage(name, project, tmp_path / "transcripts"))
    assert report["tool_calls"] == 1 and report["responses"] == 5 and report["new_sessions"] == 0
    got = snapshot(db)
    for key in ("tool calls", "tokens", "prompts"):
        assert got[key] == full[key], key
    # Claims and errors as the hooks recorded them; still held and open: the hooks heard from the
    # session moments ago (its SessionEnd is not known to be missed)
    assert [r[:6] for r in got["files"]] == [r[:6] for r in full["files"]]
    assert [r[:9] for r in got["errors"]] == [r[:9] for r in full["errors"]]
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE origin = 'import'")[0]["n"] == 1


def staged_basic(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(transcripts folder, the main transcript) of the a_basic session, staged for `project`."""
    transcripts = stage("a_basic", project, tmp_path / "transcripts")
    return transcripts, next(transcripts.glob("*.jsonl"))


def test_appended_lines_read_incrementally(project, tmp_path):
    transcripts, path = staged_basic(project, tmp_path)
    lines = path.read_bytes().splitlines(keepends=True)
    # Cut inside a tool call: its tool_use is in the first part, its result in the second.
    cut = next(i for i, line in enumerate(lines) if b'"name": "Edit"' in line) + 1
    path.write_bytes(b"".join(lines[:cut]))
    first = do_import(project, transcripts)
    assert first["tool_calls"] == 1  # the Write; the Edit waits for its result
    offset = rows(project, "SELECT offset FROM import_files")[0]["offset"]
    assert 0 < offset < len(b"".join(lines[:cut]))  # left before the call still waiting
    with open(path, "ab") as fh:
        fh.write(b"".join(lines[cut:]))
    second = do_import(project, transcripts)
    assert second["bytes_read"] == path.stat().st_size - offset
    assert second["tool_calls"] == 3 and second["errors"] == 1
    fresh = tmp_path / "fresh" / "acme-app"
    fresh.mkdir(parents=True)
    do_import(fresh, stage("a_basic", fresh, tmp_path / "t2"))
    assert snapshot(project / ".claude-session.db")["tool calls"] == snapshot(fresh / ".claude-session.db")["tool calls"]
    assert rows(project, "SELECT count(*) AS n FROM transcript_usage")[0]["n"] == 5


def test_bad_lines_unknown_records_and_a_truncated_tail_are_counted_not_fatal(project, tmp_path):
    transcripts, path = staged_basic(project, tmp_path)
    lines = path.read_text().splitlines()
    broken = lines[:4] + ["{not json", "[1, 2, 3]", json.dumps({"type": "hologram", "sessionId": path.stem})] \
        + lines[4:] + [lines[-3][: len(lines[-3]) // 2]]
    path.write_text("\n".join(broken))  # the last line cut short, without its newline
    report = do_import(project, transcripts)
    assert (report["bad_lines"], report["unknown_records"], report["incomplete_tails"]) == (2, 1, 1)
    assert any("bad line" in p for p in report["problems"]) and any("incomplete" in p for p in report["problems"])
    assert report["tool_calls"] == 4 and report["responses"] == 5  # everything valid was imported
    proc = cli("import", "--project", str(project), str(transcripts))
    assert proc.returncode == 0


def test_dry_run_records_nothing_and_prompts_without_text(tmp_path):
    project = tmp_path / "acme-app"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"capture": {"prompts": False}}))
    transcripts = stage("b_subagent", project, tmp_path / "transcripts")
    dry = do_import(project, transcripts, extra=("--dry-run",))
    assert dry["dry_run"] and dry["tool_calls"] == 3 and dry["subagents"] == 1
    assert rows(project, "SELECT count(*) AS n FROM sessions")[0]["n"] == 0
    do_import(project, transcripts)
    assert rows(project, "SELECT text, chars, source FROM prompts") == [
        {"text": None, "chars": len("[[agent:main]] Use a subagent to write sub.txt."), "source": "import"}]


def test_project_folder_found_and_imported_costs_priced(tmp_path, monkeypatch):
    """The project's own folder under ~/.claude/projects, found by its encoded path; the import's
    tokens priced as the hooks' are (tests/test_costs.py)."""
    project = tmp_path / "acme_app.v2"
    project.mkdir()
    folder = Path(os.environ["HOME"]) / ".claude" / "projects" / str(project).replace("/", "-").replace(
        "_", "-").replace(".", "-")
    folder.mkdir(parents=True)
    for f in (ROOT / "tests/fixtures/cost").glob("*.jsonl"):
        shutil.copy(f, folder / f.name)
    proc = cli("import", cwd=project)
    assert proc.returncode == 0 and "sessions 2 (2 new)" in proc.stdout, proc.stdout + proc.stderr
    cost = json.loads(cli("cost", "--by", "session", "--json", "--project", str(project)).stdout)
    by = {g["session"]: g["usd"] for g in cost["groups"]}
    assert by == {"11111111-1111-4111-8111-111111111111": "1.736840", "22222222-2222-4222-8222-222222222222": None}


def _escalating_session(project: Path, sid: str) -> tuple[list[str], list[tuple[str, dict]]]:
    """A transcript where `pytest tests/test_app.py` fails four times, an Edit fails, then the
    tests pass; and the hook calls Claude Code would have made for it."""
    def rec(kind: str, uuid: str, at: str, message: dict, **extra) -> str:
        return json.dumps({"parentUuid": None, "isSidechain": False, "type": kind, "uuid": uuid, "sessionId": sid,
                           "timestamp": f"2026-11-20T10:00:{at}.000Z", "cwd": str(project), "version": "2.1.197",
                           "gitBranch": "main", "message": message, **extra})

    lines = [rec("user", "u0", "00", {"role": "user", "content": "make the tests pass"}, promptId="p1")]
    hooks: list[tuple[str, dict]] = [("UserPromptSubmit", {"prompt": "make the tests pass", "prompt_id": "p1"})]
    base = {"session_id": sid, "cwd": str(project), "transcript_path": str(project / "t.jsonl")}
    steps = [("Bash", {"command": "cd app && python -m pytest -q tests/test_app.py"},
              "Exit code 1\nFAILED tests/test_app.py::test_total - AssertionError: 3 != 4\n1 failed in 0.1s")] * 4 + [
        ("Edit", {"file_path": str(project / "app.py"), "old_string": "x", "new_string": "y"},
         "<tool_use_error>String to replace not found in file.</tool_use_error>"),
        ("Bash", {"command": "python -m pytest tests/test_app.py"}, None)]
    for i, (tool, tool_input, error) in enumerate(steps):
        tid = f"toolu_{i:04d}"
        lines.append(rec("assistant", f"a{i}", f"{10 + 2 * i:02d}", {
            "id": f"msg_{i}", "model": "claude-opus-4-8", "role": "assistant",
            "content": [{"type": "tool_use", "id": tid, "name": tool, "input": tool_input}],
            "usage": {"input_tokens": 100, "output_tokens": 10}}, requestId=f"req_{i}"))
        result = {"type": "tool_result", "tool_use_id": tid, "content": error or "1 passed", "is_error": bool(error)}
        lines.append(rec("user", f"r{i}", f"{11 + 2 * i:02d}", {"role": "user", "content": [result]}, promptId="p1",
                         toolUseResult=f"Error: {error}" if error else {"stdout": "1 passed", "stderr": ""}))
        call = {**base, "tool_name": tool, "tool_input": tool_input, "tool_use_id": tid}
        hooks.append(("PreToolUse", call))
        hooks.append(("PostToolUseFailure", {**call, "error": error, "is_interrupt": False}) if error else
                     ("PostToolUse", {**call, "tool_response": {"stdout": "1 passed", "stderr": ""}}))
    hooks.append(("SessionEnd", {"reason": "other"}))  # long over: the import closes it out the same way
    return lines, [(event, {**base, **payload, "hook_event_name": event}) for event, payload in hooks]


def test_failures_escalate_and_get_fixed_as_the_hooks_count_them(tmp_path):
    """Attempts, escalation (research at 3, ask the user at 5 by default; 2 and 3 here), failed
    paths recorded then cleared by the passing run: the same rows from the hooks and the import."""
    sid = "33333333-3333-4333-8333-333333333333"
    results = {}
    for way in ("hooks", "import"):
        project = tmp_path / way / "acme-app"
        (project / ".claude").mkdir(parents=True)
        (project / ".claude" / "hookledger.json").write_text(
            json.dumps({"errors": {"research_after": 2, "ask_user_after": 3}}))
        lines, calls = _escalating_session(project, sid)
        if way == "hooks":
            from conftest import run_hook

            for event, payload in calls:
                assert run_hook(event, payload, project).returncode == 0
        else:
            (tmp_path / "t").mkdir()
            (tmp_path / "t" / f"{sid}.jsonl").write_text("\n".join(lines) + "\n")
            do_import(project, tmp_path / "t")
        db = project / ".claude-session.db"
        results[way] = (table(db, SAME["errors"]), table(db, "SELECT file_path, approach, reason_failed, context,"
                                                             " still_relevant, signature FROM failed_paths ORDER BY id"))
    hooks, imported = results["hooks"], results["import"]
    assert [r[8:11] for r in hooks[0]] == [(1, "auto_fixed", None), (2, "auto_fixed", "escalated_research"),
                                           (3, "auto_fixed", "escalated_user"), (4, "auto_fixed", "escalated_user"),
                                           (1, "abandoned", None)]
    assert differences({"e": hooks[0], "f": hooks[1]}, {"e": imported[0], "f": imported[1]}) == {}


def _project_folder(project: Path) -> Path:
    folder = Path(os.environ["HOME"]) / ".claude" / "projects" / str(project).replace("/", "-").replace("_", "-")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_doctor_reports_uncovered_transcripts_until_imported(tmp_path):
    project = tmp_path / "acme-app"
    project.mkdir()
    stage("a_basic", project, _project_folder(project))
    stage("b_subagent", project, _project_folder(project))

    def transcripts_check() -> dict:
        proc = cli("doctor", "--project", str(project), "--no-sample", "--json")
        return next(c for c in json.loads(proc.stdout)["checks"] if c["name"] == "transcripts")

    check = transcripts_check()
    assert check["status"] == "warn" and "2 session(s) the ledger has no record of" in check["detail"]
    assert check["fix"].startswith(f"hookledger import --project {project}")
    assert cli("import", "--project", str(project)).returncode == 0
    assert transcripts_check()["status"] == "ok"


def test_import_auto_imports_the_previous_session_at_session_start(tmp_path):
    """import.auto: SessionStart of a new session starts a detached import of the newest other
    transcript (here a session the hooks never saw)."""
    import time

    from conftest import load_fixture, run_hook

    project = tmp_path / "acme-app"
    (project / ".claude").mkdir(parents=True)
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"import": {"auto": True}}))
    stage("a_basic", project, _project_folder(project))
    payload = load_fixture("SessionStart__startup", project)
    payload["session_id"] = "44444444-4444-4444-8444-444444444444"
    proc = run_hook("SessionStart", payload, project)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    deadline = time.monotonic() + 30
    found: list = []
    while time.monotonic() < deadline and not found:
        time.sleep(0.2)
        found = rows(project, "SELECT session_id, origin FROM sessions WHERE origin = 'import'")
    assert found == [{"session_id": "ebf09a36-f40b-44e4-9ed7-9d1599a096ce", "origin": "import"}]
    while time.monotonic() < deadline and rows(project, "SELECT count(*) AS n FROM import_files")[0]["n"] == 0:
        time.sleep(0.2)  # the child's transaction is being committed
    assert rows(project, "SELECT count(*) AS n FROM hook_events WHERE origin = 'import' AND tool_name IS NOT NULL")[0]["n"] == 4


def test_all_projects_and_since(tmp_path):
    """--all-projects reads every project's folder into this ledger; --since leaves out files
    last written before that day."""
    project = tmp_path / "acme-app"
    project.mkdir()
    stage("a_basic", project, _project_folder(project))
    other = tmp_path / "other"
    other.mkdir()
    stage("b_subagent", other, _project_folder(other))
    assert do_import(project, extra=("--since", "2999-01-01"))["files"] == 0
    report = do_import(project, extra=("--all-projects",))
    assert report["files"] == 3 and report["sessions"] == 2
    assert {r["session_id"] for r in rows(project, "SELECT session_id FROM sessions")} == {
        "ebf09a36-f40b-44e4-9ed7-9d1599a096ce", "16844d04-f039-4e79-b808-175a142b454b"}
