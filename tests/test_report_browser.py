"""`hookledger report --html`: the page for each recorded session, opened in headless chromium.

The DOM the page's script built is checked against the ledger (lanes = agents, marks = file
changes, errors, conflicts, compactions; latency rows = events; table rows = ledger rows), and
chromium must print no console message at all: no script error, no blocked network request.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from browser_support import render
from conftest import rows
from inspect_support import A_BASIC, B_SUBAGENT, C_CLEARED, C_COMPACT, LIVE_AGENT, SUBAGENT, recorded  # noqa: F401

from hookledger.faces.cli import cli


def write_report(project: Path, session: str, out: Path) -> Path:
    result = CliRunner().invoke(cli, ["report", "--project", str(project), "--session", session[:8], "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert f"session {session}" in result.output and out.stat().st_size > 0
    return out


def marks(dom, kind):
    return dom.find(cls=f"marker-{kind}")


def table_rows(dom, table_id):
    table = dom.by_id(table_id)
    return [tr for tr in table.find("tr") if not tr.find("th") and not tr.find("td", cls="empty")]


@pytest.mark.parametrize("session", [A_BASIC, B_SUBAGENT, C_COMPACT, C_CLEARED])
def test_report_renders_the_session_in_a_real_browser(recorded, tmp_path, session):
    page = write_report(recorded, session, tmp_path / "report.html")
    text = page.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", text)  # nothing to fetch
    shown = render(page)
    assert shown.console == []  # no error, no CSP violation, nothing logged
    body = shown.dom.find("body")[0]
    assert body.attrs.get("data-rendered") == "ok" and "data-js-errors" not in body.attrs
    assert shown.dom.by_id("js-errors").attrs.get("hidden") is not None

    q = lambda sql: rows(recorded, sql, (session,))  # noqa: E731
    agents = q("SELECT id, agent_type FROM agent_registry WHERE session_id = ?")
    lanes = shown.dom.by_id("timeline-svg").find("g", cls="lane")
    assert {lane.attrs["data-agent"] for lane in lanes} == {a["id"] for a in agents} | {f"main:{session}"}
    assert "main thread" in lanes[0].all_text()
    assert len(marks(shown.dom, "file_change")) == len(q("SELECT id FROM file_claims WHERE session_id = ?"))
    assert len(marks(shown.dom, "error")) == len(q("SELECT id FROM error_log WHERE session_id = ?"))
    assert len(marks(shown.dom, "conflict")) == len(q("SELECT id FROM claim_conflicts WHERE session_id = ?"))
    assert len(shown.dom.find(cls="compaction-line")) == q("SELECT compactions FROM v_sessions WHERE session_id = ?")[0]["compactions"]
    hook_runs = q("SELECT count(*) AS n FROM hook_events WHERE session_id = ?")[0]["n"]
    assert sum(len(marks(shown.dom, k)) for k in ("hook", "hook_error", "compaction")) == hook_runs

    events = {r["event_type"] for r in q("SELECT DISTINCT event_type FROM hook_events WHERE session_id = ?")}
    latency = shown.dom.by_id("latency-svg").find("g", cls="latency-row")
    assert {g.attrs["data-event"] for g in latency} == events
    assert len(table_rows(shown.dom, "agents")) == len(lanes)
    assert len(table_rows(shown.dom, "files")) == len(q("SELECT file_path FROM v_file_activity WHERE session_id = ?"))
    problems = q("SELECT count(*) AS n FROM v_session_timeline WHERE session_id = ?"
                 " AND kind IN ('error', 'hook_error', 'conflict', 'failed_path')")[0]["n"]
    assert len(table_rows(shown.dom, "errors")) == problems
    moments = q("SELECT count(*) AS n FROM v_session_timeline WHERE session_id = ?")[0]["n"]
    assert len(table_rows(shown.dom, "events")) == moments
    assert shown.dom.by_id("item-count").all_text() == str(moments)


def test_report_shows_what_each_recorded_session_is_about(recorded, tmp_path):
    sub = render(write_report(recorded, B_SUBAGENT, tmp_path / "b.html")).dom
    lane = next(g for g in sub.find("g", cls="lane") if g.attrs["data-agent"] == SUBAGENT)
    assert f"general-purpose {SUBAGENT[:8]}" in lane.all_text()
    [change] = table_rows(sub, "files")
    assert "sub.txt" in change.all_text() and f"general-purpose {SUBAGENT[:8]}" in change.all_text()

    live = render(write_report(recorded, A_BASIC, tmp_path / "a.html")).dom
    assert any(g.attrs["data-agent"] == LIVE_AGENT for g in live.find("g", cls="lane"))
    problems = " ".join(tr.all_text() for tr in table_rows(live, "errors"))
    assert "claim conflict (warn)" in problems and "failed path" in problems and "nonexistent-dir-xyz" in problems

    compact = render(write_report(recorded, C_COMPACT, tmp_path / "c.html")).dom
    [row] = table_rows(compact, "compactions")
    assert "PreCompact" in row.all_text() and "manual" in row.all_text()
    assert "compaction (manual)" in compact.by_id("timeline-svg").all_text()


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
