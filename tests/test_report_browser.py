"""`hookledger report`: the page for each recorded session, opened in headless chromium.

The DOM the page's script built is checked against the ledger (lanes = agents, marks = hook
runs by family, file changes, errors, conflicts, compactions; rings = runs that answered;
prompts, tasks and their verdicts, and every answer hookledger gave, word for word; latency
rows = events; table rows = ledger rows), and chromium must print no console message at all:
no script error, no blocked network request.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from browser_support import render
from conftest import HOOKS, rows
from inspect_support import A_BASIC, B_SUBAGENT, C_CLEARED, C_COMPACT, LIVE_AGENT, SESSIONS, SUBAGENT, recorded  # noqa: F401

from hookledger.faces.cli import cli

E_TASKS = "f06b0d73-3e1f-4bfb-bacf-40fd0a7e02cf"
F_TEAM = "7c1e5b2a-9d40-4f6e-8a3b-2f5d0c9e1a77"
FAMILIES = {"session": ("SessionStart", "SessionEnd"), "prompt": ("UserPromptSubmit",),
            "tool": ("PreToolUse", "PostToolUse", "PostToolUseFailure", "PostToolBatch"),
            "agent": ("SubagentStart", "SubagentStop"), "stop": ("Stop",), "task": ("TaskCreated", "TaskCompleted")}


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project where the real hooks recorded e_tasks (two tasks, one refused, a block verdict)
    and f_team (a conflict between subagents, an escalation, a gate refusal, a compaction)."""
    from hookledger.faces.replay import replay

    project = tmp_path_factory.mktemp("story") / "acme-app"
    project.mkdir()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("CLAUDE", "HOOKLEDGER"))}
    try:
        env = {"HOME": str(project / ".home"), "HOOKLEDGER_HOME": str(project / ".hookledger-home")}
        for name in ("e_tasks", "f_team"):
            result = replay(str(SESSIONS / f"{name}.jsonl"), str(project), str(HOOKS), extra_env=env)
            assert all(c.exit_code in (0, 2) for c in result.calls)
    finally:
        os.environ.update(saved)
    return project


def write_report(project: Path, session: str, out: Path) -> Path:
    result = CliRunner().invoke(cli, ["report", "--project", str(project), "--session", session[:8], "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"session {session}" in result.output and out.stat().st_size > 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    return out


def marks(dom, kind):
    return dom.find(cls=f"marker-{kind}")


def table_rows(dom, table_id):
    table = dom.by_id(table_id)
    return [tr for tr in table.find("tr") if not tr.find("th") and not tr.find("td", cls="empty")]


def said_to_the_model(answer: str | None, exit_code: int) -> str | None:
    """The text the model got, from a stored answer (as the hooks' output contract shapes it)."""
    if answer is None or exit_code == 2:
        return None if answer is None else answer.rstrip("\n")
    specific = json.loads(answer)["hookSpecificOutput"]
    return specific.get("permissionDecisionReason") if specific.get("permissionDecision") in ("deny", "ask") \
        else specific.get("additionalContext")


def check_against_ledger(project: Path, session: str, shown) -> None:
    """Every drawn element against the rows the hooks wrote."""
    q = lambda sql: rows(project, sql, (session,))  # noqa: E731
    assert shown.console == []  # no error, no CSP violation, nothing logged
    body = shown.dom.find("body")[0]
    assert body.attrs.get("data-rendered") == "ok" and "data-js-errors" not in body.attrs
    assert shown.dom.by_id("js-errors").attrs.get("hidden") is not None

    agents = q("SELECT id, agent_type FROM agent_registry WHERE session_id = ?")
    lanes = shown.dom.by_id("timeline-svg").find("g", cls="lane")
    assert {lane.attrs["data-agent"] for lane in lanes} == {a["id"] for a in agents} | {f"main:{session}"}
    assert lanes[0].find("text", cls="lane-label")[0].all_text() == "main"
    assert len(marks(shown.dom, "file_change")) == len(q("SELECT id FROM file_claims WHERE session_id = ?"))
    assert len(marks(shown.dom, "error")) == len(q("SELECT id FROM error_log WHERE session_id = ?"))
    assert len(marks(shown.dom, "conflict")) == len(q("SELECT id FROM claim_conflicts WHERE session_id = ?"))
    assert len(shown.dom.find(cls="compaction-line")) == q("SELECT compactions FROM v_sessions WHERE session_id = ?")[0]["compactions"]
    runs = q("SELECT event_type, outcome FROM hook_events WHERE session_id = ?")
    assert sum(len(marks(shown.dom, k)) for k in ("hook", "hook_error", "compaction")) == len(runs)
    # marks tell the kinds of hook runs apart: a family (shape and colour) per kind of event
    hooks = [r["event"] for r in q("SELECT event FROM v_session_timeline WHERE session_id = ? AND kind = 'hook'")]
    for family, names in FAMILIES.items():
        drawn = shown.dom.find(cls=f"fam-{family}")
        assert sorted(m.attrs["data-event"] for m in drawn) == sorted(e for e in hooks if e in names), family
    ringed = [m for m in shown.dom.find(cls="marker") if {"answered", "blocked"} & m.classes()]
    assert len(ringed) == len([r for r in runs if r["outcome"] in ("answered", "blocked")])
    assert all(m.find("circle", cls="ring") for m in ringed)

    events = {r["event_type"] for r in runs}
    latency = table_rows(shown.dom, "latency")
    assert {tr.attrs["data-event"] for tr in latency} == events
    assert len(table_rows(shown.dom, "agents")) == len(lanes)
    assert len(table_rows(shown.dom, "files")) == len(q("SELECT file_path FROM v_file_activity WHERE session_id = ?"))
    problems = q("SELECT count(*) AS n FROM v_session_timeline WHERE session_id = ?"
                 " AND kind IN ('error', 'hook_error', 'conflict', 'failed_path')")[0]["n"]
    assert len(table_rows(shown.dom, "errors")) == problems
    moments = q("SELECT count(*) AS n FROM v_session_timeline WHERE session_id = ?")[0]["n"]
    assert len(table_rows(shown.dom, "events")) == moments
    assert shown.dom.by_id("item-count").all_text() == str(moments)

    # prompts: one row each, the text when the ledger kept it
    prompts = q("SELECT text FROM prompts WHERE session_id = ? ORDER BY created_at, id")
    assert len(prompts) == len(q("SELECT id FROM hook_events WHERE session_id = ? AND event_type = 'UserPromptSubmit'"))
    drawn = table_rows(shown.dom, "prompts")
    assert len(drawn) == len(prompts)
    for tr, p in zip(drawn, prompts):
        assert p["text"] and p["text"] in tr.all_text()
    # tasks, each with its verdicts in order: decision and reason as recorded
    tasks = q("SELECT task_id, subject, status FROM tasks WHERE session_id = ? ORDER BY created_at")
    cards = shown.dom.find("div", cls="task")
    assert [c.attrs["data-task"] for c in cards] == [t["task_id"] for t in tasks]
    for card, task in zip(cards, tasks):
        assert (task["subject"] or "") in card.all_text() and task["status"] in card.find(cls="badge")[0].all_text()
        verdicts = rows(project, "SELECT id, decision, reason FROM llm_verdicts WHERE session_id = ? AND task_id = ?"
                        " ORDER BY id", (session, task["task_id"]))
        drawn = card.find("tr", cls="verdict")
        assert [int(tr.attrs["data-verdict"]) for tr in drawn] == [v["id"] for v in verdicts]
        for tr, v in zip(drawn, verdicts):
            assert tr.find("td", cls="decision")[0].all_text() == v["decision"]
            assert " ".join((v["reason"] or "").split()) in " ".join(tr.all_text().split())
    # everything hookledger answered, word for word
    answers = q("SELECT id, answer, exit_code FROM hook_events WHERE session_id = ?"
                " AND (answer IS NOT NULL OR outcome IN ('answered', 'blocked')) ORDER BY id")
    boxes = shown.dom.find("details", cls="answer")
    assert [int(b.attrs["data-answer"]) for b in boxes] == [a["id"] for a in answers]
    for box, a in zip(boxes, answers):
        assert box.find("pre", cls="answer-text")[0].all_text() == said_to_the_model(a["answer"], a["exit_code"])
    assert shown.dom.by_id("answer-count").all_text() == f"({len(answers)})"
    # tokens with cache tokens, from the transcript; cost from the price table (tests/test_costs.py)
    usage = q("SELECT count(*) AS n, sum(cache_read_input_tokens) AS cr FROM transcript_usage WHERE session_id = ?")[0]
    facts = {f.attrs["data-fact"]: f.find("b")[0].all_text() for f in shown.dom.find("div", cls="fact")}
    from hookledger.faces.inspect.pricing import session_cost, usd

    conn = sqlite3.connect(str(project / ".claude-session.db"))
    assert facts["cost"] == (usd(session_cost(conn, session)) or "not priced")
    assert (facts["cost"] == "not priced") == (usage["n"] == 0)
    assert (facts["cache"] == "-") == (usage["n"] == 0)


@pytest.mark.parametrize("session", [A_BASIC, B_SUBAGENT, C_COMPACT, C_CLEARED])
def test_report_renders_the_session_in_a_real_browser(recorded, tmp_path, session):
    page = write_report(recorded, session, tmp_path / "report.html")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page.read_text())  # nothing to fetch
    check_against_ledger(recorded, session, render(page))


@pytest.mark.parametrize("session", [E_TASKS, F_TEAM])
def test_report_tells_tasks_verdicts_and_answers(story, tmp_path, session):
    check_against_ledger(story, session, render(write_report(story, session, tmp_path / "report.html")))


def test_report_shows_what_each_recorded_session_is_about(recorded, story, tmp_path):
    sub = render(write_report(recorded, B_SUBAGENT, tmp_path / "b.html")).dom
    lane = next(g for g in sub.find("g", cls="lane") if g.attrs["data-agent"] == SUBAGENT)
    assert f"general-purpose\u00b7{SUBAGENT[:8]}" in lane.all_text()
    [change] = table_rows(sub, "files")
    assert "sub.txt" in change.all_text() and f"general-purpose\u00b7{SUBAGENT[:8]}" in change.all_text()

    live = render(write_report(recorded, A_BASIC, tmp_path / "a.html")).dom
    assert any(g.attrs["data-agent"] == LIVE_AGENT for g in live.find("g", cls="lane"))
    problems = " ".join(tr.all_text() for tr in table_rows(live, "errors"))
    assert "claim conflict (warn)" in problems and "failed path" in problems and "nonexistent-dir-xyz" in problems

    compact = render(write_report(recorded, C_COMPACT, tmp_path / "c.html")).dom
    [row] = table_rows(compact, "compactions")
    assert "PreCompact" in row.all_text() and "manual" in row.all_text() and "characters at" in row.all_text()
    assert "compaction (manual)" in compact.by_id("timeline-svg").all_text()

    tasks = render(write_report(story, E_TASKS, tmp_path / "e.html")).dom
    first, second = tasks.find("div", cls="task")
    assert "Write the report" in first.all_text() and "completed" in first.all_text()
    assert [tr.find("td", cls="decision")[0].all_text() for tr in first.find("tr", cls="verdict")] == ["allow", "block", "allow"]
    assert "BLOCK-ME task" in second.all_text() and "creation refused" in second.all_text()

    team = render(write_report(story, F_TEAM, tmp_path / "f.html")).dom
    kinds = [b.attrs["data-kind"] for b in team.find("details", cls="answer")]
    assert kinds == ["brief", "conflict", "escalation", "refusal", "brief"]  # startup brief of e_tasks first
    [gate] = [tr for tr in team.find("tr", cls="verdict") if tr.attrs.get("class", "").endswith("decision-block")]
    check = gate.find(cls="check-failed")[0].all_text()
    assert "python3 -m unittest -q tests.test_parser" in check and "(exit 1)" in check
    brief = team.find("details", cls="kind-brief")[-1]
    assert "(compact)" in brief.find("summary")[0].all_text()
    assert "Errors still unresolved" in brief.all_text() and "Ship the config parser" in brief.all_text()


def test_the_page_is_drawn_at_the_window_width(story, tmp_path):
    """Readable from 700 px: the timeline is drawn at the page's width (text at its own size),
    not a wide drawing scaled down."""
    page = write_report(story, F_TEAM, tmp_path / "f.html")
    narrow, wide = render(page, width=700), render(page, width=1400)
    assert narrow.console == [] and wide.console == []
    narrow_w = int(narrow.dom.by_id("timeline-svg").attrs["width"])
    wide_w = int(wide.dom.by_id("timeline-svg").attrs["width"])
    assert 500 <= narrow_w <= 700 - 2 * 14 and wide_w > 1100
    assert narrow.dom.by_id("timeline-svg").attrs["viewbox"] == f"0 0 {narrow_w} {narrow.dom.by_id('timeline-svg').attrs['height']}"


def test_report_without_a_flag_writes_here_and_o_dash_writes_stdout(story, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["report", "--project", str(story)])
    assert result.exit_code == 0, result.output
    written = tmp_path / f"hookledger-report-{F_TEAM[:8]}.html"  # the latest session
    assert written.exists() and stat.S_IMODE(written.stat().st_mode) == 0o600
    piped = CliRunner().invoke(cli, ["report", "--project", str(story), "--session", E_TASKS[:8], "-o", "-"])
    assert piped.exit_code == 0 and piped.output.startswith("<!DOCTYPE html>") and E_TASKS in piped.output
    assert not (tmp_path / "-").exists()


def test_report_index_writes_a_page_per_session(story, tmp_path):
    folder = tmp_path / "reports"
    result = CliRunner().invoke(cli, ["report", "--project", str(story), "--index", str(folder)])
    assert result.exit_code == 0, result.output
    sessions = [r["session_id"] for r in rows(story, "SELECT session_id FROM sessions")]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"hookledger-report-{s[:8]}.html" for s in sessions] + ["index.html"])
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    index = render(folder / "index.html")
    assert index.console == []
    links = [a.attrs["href"] for a in index.dom.by_id("sessions").find("a")]
    assert sorted(links) == sorted(f"hookledger-report-{s[:8]}.html" for s in sessions)


def test_console_errors_and_script_failures_are_caught(recorded, tmp_path):
    """The checks above are not vacuous: a console message and a broken data block both show."""
    page = write_report(recorded, B_SUBAGENT, tmp_path / "report.html")
    probe = tmp_path / "probe.html"
    probe.write_text(page.read_text().replace("</body>", "<script>console.error('hookledger-probe')</script></body>"))
    assert any("hookledger-probe" in m for m in render(probe).console)
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r'(<script type="application/json" id="report-data">)\{', r"\1{oops", page.read_text()))
    shown = render(broken)
    body = shown.dom.find("body")[0]
    assert body.attrs.get("data-js-errors") == "1" and "data-rendered" not in body.attrs
    assert "Report script error" in shown.dom.by_id("js-errors").all_text()


def test_without_chromium_the_browser_test_fails_under_ci_and_skips_elsewhere(monkeypatch):
    import browser_support

    monkeypatch.setattr(browser_support.shutil, "which", lambda name: None)
    monkeypatch.setattr(browser_support.os, "access", lambda path, mode: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="ensure-browser.sh"):
        browser_support.chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        browser_support.chromium()
