"""`hookledger prune`: retention on the recorded ledger, aged and grown (tests/retention_support.py).

Logs of old sessions go, state still in use stays (active and latest sessions, running agents
and their claims, open errors, still-relevant failed paths); the size cap deletes the oldest
hook runs first; hooks writing during a prune lose nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import load_fixture, rows, run_hook
from inspect_support import A_BASIC, B_SUBAGENT, C_CLEARED, C_COMPACT, LIVE_AGENT, recorded  # noqa: F401
from retention_support import age_sessions, grow

from hookledger.faces.cli import cli
from hookledger.faces.retention import SESSION_TABLES, file_bytes

OLD = [B_SUBAGENT, C_COMPACT, C_CLEARED]


def copy_project(recorded: Path, tmp_path: Path) -> Path:
    project = tmp_path / "acme-app"
    project.mkdir()
    shutil.copy(recorded / ".claude-session.db", project / ".claude-session.db")
    return project


def prune(project: Path, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["prune", "--project", str(project), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def per_session(project: Path, session: str) -> dict[str, int]:
    """Rows of every session-scoped table for `session`, and its sessions row."""
    counts = {t: rows(project, f"SELECT count(*) AS n FROM {t} WHERE session_id = ?", (session,))[0]["n"]
              for t, _ in SESSION_TABLES}
    counts["sessions"] = rows(project, "SELECT count(*) AS n FROM sessions WHERE session_id = ?", (session,))[0]["n"]
    return counts


STATE = {
    "v_open_errors": "SELECT * FROM v_open_errors",
    "v_failed_paths": "SELECT * FROM v_failed_paths",
    "v_live_agents": "SELECT agent_id, session_id, agent_type, task_description, claims_held, files_held FROM v_live_agents",
    "claims of running agents": "SELECT * FROM file_claims WHERE released_at IS NULL"
                                " AND agent_id IN (SELECT id FROM agent_registry WHERE status = 'running')",
}


def state(project: Path) -> dict[str, list]:
    """What hooks and the brief still read (conflict counts are history, so not in here)."""
    return {name: rows(project, f"{sql} ORDER BY 1, 2") for name, sql in STATE.items()}


def test_old_sessions_expire_and_the_live_one_is_untouched(recorded, tmp_path):
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    age_sessions(db, [A_BASIC, *OLD], days=200)  # a_basic is still active: protected whatever its age
    live_before, state_before = per_session(project, A_BASIC), state(project)
    old_before = {s: per_session(project, s) for s in OLD}
    result = prune(project, "--older-than", "90")
    assert set(result["expired_sessions"]) == set(OLD)
    for session in OLD:
        assert all(n == 0 for n in per_session(project, session).values()), session
    assert per_session(project, A_BASIC) == live_before and state(project) == state_before
    deleted = {t: sum(old_before[s][t] for s in OLD) for t in old_before[OLD[0]]}
    assert {t: n for t, n in deleted.items() if n} == result["deleted"]
    assert result["vacuumed"] and result["size_after"] <= result["size_before"]
    assert rows(project, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"


def test_state_in_use_survives_its_session_expiring(recorded, tmp_path):
    """A session marked ended while its agent still runs and its errors are open (SessionEnd cut
    short by Claude Code's 1.5 s budget): its logs go, the running agent, the claims it holds,
    the open errors and the failed path stay, and so does its sessions row."""
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET status = 'ended' WHERE session_id = ?", (A_BASIC,))
    conn.commit()
    conn.close()
    age_sessions(db, [A_BASIC], days=200)
    before = state(project)
    run_hook("UserPromptSubmit", load_fixture("UserPromptSubmit__default", project) | {"session_id": "new-session"}, project)
    result = prune(project, "--older-than", "90")
    assert result["expired_sessions"] == [A_BASIC]
    assert state(project) == before
    left = per_session(project, A_BASIC)
    assert left["hook_events"] == 0 and left["context_snapshots"] == 0 and left["session_metrics"] == 0
    assert left["sessions"] == 1 and left["agent_registry"] == len(before["v_live_agents"])
    assert result["kept"]["error_log"] == rows(project, "SELECT count(*) AS n FROM error_log")[0]["n"]
    assert rows(project, "SELECT agent_id FROM v_live_agents WHERE agent_id = ?", (LIVE_AGENT,))


def test_the_latest_session_is_kept_so_the_next_startup_can_offer_its_brief(recorded, tmp_path):
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    sessions = [r["session_id"] for r in rows(project, "SELECT session_id FROM sessions")]
    age_sessions(db, sessions, days=200)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE sessions SET status = 'ended'")
    conn.commit()
    latest = conn.execute("SELECT session_id FROM sessions ORDER BY coalesce(last_event_at, ended_at, started_at)"
                          " DESC LIMIT 1").fetchone()[0]
    conn.close()
    result = prune(project, "--older-than", "0")
    assert latest not in result["expired_sessions"] and len(result["expired_sessions"]) == len(sessions) - 1
    assert per_session(project, latest)["hook_events"] > 0


def test_dry_run_counts_what_a_real_run_deletes_and_changes_nothing(recorded, tmp_path):
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    age_sessions(db, OLD, days=200)
    with open(db, "rb") as fh:
        image = fh.read()
    dry = prune(project, "--older-than", "90", "--dry-run")
    with open(db, "rb") as fh:
        assert fh.read() == image
    real = prune(project, "--older-than", "90")
    assert dry["deleted"] == real["deleted"] and dry["expired_sessions"] == real["expired_sessions"]


def test_size_cap_deletes_the_oldest_hook_runs_first(recorded, tmp_path):
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    grow(db, copies=250)
    before_size = file_bytes(db)
    live_before, state_before = per_session(project, A_BASIC), state(project)
    outside = "session_id IS NULL OR session_id != ?"
    before = [r["uid"] for r in rows(project, f"SELECT event_uid AS uid FROM hook_events WHERE {outside}"
                                              " ORDER BY timestamp, id", (A_BASIC,))]
    cap_mb = before_size * 0.6 / 1024 / 1024  # hook runs are about two thirds of this ledger
    result = prune(project, "--max-size", f"{cap_mb:.3f}")
    assert result["cap_reached"] and result["vacuumed"]
    assert file_bytes(db) <= cap_mb * 1024 * 1024 < before_size
    after = [r["uid"] for r in rows(project, f"SELECT event_uid AS uid FROM hook_events WHERE {outside}"
                                             " ORDER BY timestamp, id", (A_BASIC,))]
    assert 0 < len(after) < len(before) and after == before[len(before) - len(after):]  # the newest are left
    assert result["deleted"]["hook_events"] == len(before) - len(after)
    assert per_session(project, A_BASIC) == live_before and state(project) == state_before
    # A cap below what state in use needs: whole sessions go, oldest first, and it stops there.
    tiny = prune(project, "--max-size", "0.01")
    assert tiny["cap_reached"] is False and len(tiny["expired_sessions"]) > 0
    assert per_session(project, A_BASIC) == live_before and state(project) == state_before
    assert [r["session_id"] for r in rows(project, "SELECT session_id FROM sessions")] == [A_BASIC]


def test_defaults_come_from_the_project_config(recorded, tmp_path):
    project = copy_project(recorded, tmp_path)
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"retention": {"days": 7, "max_mb": 0}}))
    age_sessions(str(project / ".claude-session.db"), [B_SUBAGENT], days=8)
    result = prune(project)
    assert result["expired_sessions"] == [B_SUBAGENT] and result["max_bytes"] is None
    assert prune(project, "--older-than", "365")["expired_sessions"] == []


def test_hooks_writing_during_a_prune_lose_nothing(recorded, tmp_path):
    """Pruning a large ledger while hooks fire: every hook exits 0 and every event is recorded
    (directly, or spooled while VACUUM held the lock and replayed afterwards)."""
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    grow(db, copies=400, days_back=100)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "lib")}
    pruning = subprocess.Popen([sys.executable, "-m", "hookledger", "prune", "--project", str(project), "--max-size", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    fired = []
    while pruning.poll() is None or len(fired) < 3:
        payload = load_fixture("PreToolUse__Bash", project) | {"session_id": A_BASIC, "tool_use_id": f"toolu_during_{len(fired)}"}
        fired.append(run_hook("PreToolUse", payload, project))
    out, err = pruning.communicate()
    assert pruning.returncode == 0, err
    assert json.loads(subprocess.run([sys.executable, "-m", "hookledger", "prune", "--project", str(project), "--json",
                                      "--dry-run"], capture_output=True, text=True, env=env).stdout)["size_before"] < 2 << 20
    assert [p.returncode for p in fired] == [0] * len(fired)
    CliRunner().invoke(cli, ["status", "--project", str(project), "--replay-spool"])
    found = {r["tool_use_id"] for r in rows(project, "SELECT tool_use_id FROM hook_events WHERE tool_use_id LIKE 'toolu_during_%'")}
    assert found == {f"toolu_during_{n}" for n in range(len(fired))}
    assert rows(project, "PRAGMA integrity_check")[0]["integrity_check"] == "ok"


@pytest.mark.parametrize("days", ["-1", "abc"])
def test_bad_options_are_refused(recorded, tmp_path, days):
    project = copy_project(recorded, tmp_path)
    result = CliRunner().invoke(cli, ["prune", "--project", str(project), "--older-than", days])
    assert result.exit_code == 2 and "older-than" in result.output


def _pruned_at(project: Path) -> str | None:
    found = rows(project, "SELECT value FROM project_state WHERE key = 'retention_pruned_at'")
    return json.loads(found[0]["value"]) if found else None


def _sessions(project: Path) -> set[str]:
    return {r["session_id"] for r in rows(project, "SELECT session_id FROM sessions")}


def _wait_for(check, seconds: float = 30.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _session_start(project: Path, session_id: str = "auto-prune-session"):
    payload = load_fixture("SessionStart__startup", project) | {"session_id": session_id}
    return run_hook("SessionStart", payload, project)


def test_session_start_prunes_by_itself_once_a_day(recorded, tmp_path):
    """The automatic prune: started detached by a SessionStart when the last one is a day old,
    with the project's retention settings; the next SessionStart does not start another."""
    import time

    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    age_sessions(db, OLD, days=120)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE project_state SET value = json_quote(strftime('%Y-%m-%d %H:%M:%f', 'now', '-25 hours'))"
                 " WHERE key = 'retention_pruned_at'")
    conn.commit()
    conn.close()
    assert OLD[0] in _sessions(project)
    started = time.monotonic()
    proc = _session_start(project)
    assert proc.returncode == 0 and proc.stderr == b"" and time.monotonic() - started < 5
    assert _wait_for(lambda: not set(OLD) & _sessions(project)), "the detached prune did not expire the old sessions"
    assert A_BASIC in _sessions(project) and "auto-prune-session" in _sessions(project)
    stamp = _pruned_at(project)
    age_sessions(db, [A_BASIC], days=120)  # old now, but a prune ran less than a day ago
    assert _session_start(project, "auto-prune-second").returncode == 0
    time.sleep(1.5)
    assert _pruned_at(project) == stamp and A_BASIC in _sessions(project)


def test_automatic_prune_can_be_turned_off_and_waits_a_day_on_a_new_ledger(recorded, tmp_path):
    project = copy_project(recorded, tmp_path)
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"retention": {"auto": False}}))
    db = str(project / ".claude-session.db")
    age_sessions(db, OLD, days=120)
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM project_state WHERE key = 'retention_pruned_at'")
    conn.commit()
    conn.close()
    assert _session_start(project).returncode == 0
    assert _pruned_at(project) is None and set(OLD) <= _sessions(project)
    (project / ".claude" / "hookledger.json").write_text("{}")
    assert _session_start(project, "auto-prune-second").returncode == 0  # first time: only noted
    assert _pruned_at(project) is not None
    import time

    time.sleep(1.5)
    assert set(OLD) <= _sessions(project)


def test_progress_is_shown_when_asked(recorded, tmp_path):
    """--progress in a pipe: a line per tenth of the work, on stderr (stdout stays the report);
    the size pass counts the kilobytes shed."""
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    grow(db, 30, days_back=200)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "lib")}
    done = subprocess.run([sys.executable, "-m", "hookledger", "prune", "--project", str(project), "--older-than", "90",
                           "--max-size", "0.05", "--no-vacuum", "--progress"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    expiring = [line for line in lines if line.startswith("Expiring sessions: ")]
    done_n, total = map(int, re.match(r"Expiring sessions: (\d+)/(\d+) ", expiring[-1]).groups())
    assert done_n == total >= 30 and "(100%)" in expiring[-1] and 2 <= len(expiring) <= 11
    trimming = [line for line in lines if line.startswith("Trimming to size: ")]
    assert trimming and re.match(r"Trimming to size: \d+/\d+ \(\d+%\)", trimming[-1])
    assert "Expiring" not in done.stdout and done.stdout.startswith("ledger ")
    quiet = subprocess.run([sys.executable, "-m", "hookledger", "prune", "--project", str(project), "--progress",
                            "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_dry_run_reports_what_the_size_cap_would_then_delete(recorded, tmp_path):
    """Both passes in one dry run: the age pass counted, then the size cap estimated from what
    the age pass leaves; the real run then deletes about as many hook runs."""
    project = copy_project(recorded, tmp_path)
    db = str(project / ".claude-session.db")
    grow(db, copies=250, days_back=20)  # 20 to 31 days old: past a 15-day cutoff, none past 40 days
    cap_mb = file_bytes(db) * 0.5 / 1024 / 1024
    age_only = prune(project, "--older-than", "40", "--max-size", "0", "--dry-run")
    assert age_only["cap_estimate"] is None and age_only["expired_sessions"] == []
    dry = prune(project, "--older-than", "40", "--max-size", f"{cap_mb:.3f}", "--dry-run")
    found = dry["cap_estimate"]
    assert found["live_bytes_after_age"] > cap_mb * 1024 * 1024 and found["hook_events"] > 0 and found["reaches_cap"]
    text = CliRunner().invoke(cli, ["prune", "--project", str(project), "--older-than", "40", "--max-size",
                                    f"{cap_mb:.3f}", "--dry-run"]).output
    assert f"about {found['hook_events']} more hook runs" in text
    # After an age pass that expires the copies, the cap has nothing left to do.
    both = prune(project, "--older-than", "15", "--max-size", f"{cap_mb:.3f}", "--dry-run")
    assert len(both["expired_sessions"]) >= 250 and both["cap_estimate"]["hook_events"] == 0
    assert "under the cap: it would delete nothing more" in CliRunner().invoke(
        cli, ["prune", "--project", str(project), "--older-than", "15", "--max-size", f"{cap_mb:.3f}", "--dry-run"]).output
    real = prune(project, "--older-than", "40", "--max-size", f"{cap_mb:.3f}")
    assert real["cap_reached"]
    assert 0.5 * found["hook_events"] <= real["deleted"]["hook_events"] <= 2 * found["hook_events"], (found, real["deleted"])
