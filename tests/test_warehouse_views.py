"""The team views (docs/warehouse.md) on a known dataset: three ledgers (alice and bob on their
laptops, both in a checkout of github.com/acme/app, carol on a CI runner in another project),
filled as the handlers fill them, synced as each person's machine would sync them; every team
question answered with the exact figures the dataset implies."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from hookledger.store.conn import connect
from hookledger.sync.warehouse.identity import plain_remote, project_key
from hookledger.hotpath.timeutil import utc_now
from warehouse_support import new_database, pg_cluster, sync_cli  # noqa: F401

NOW = time.time()
UIDS = itertools.count(1)
DAY = 86400
S1, S2, S3, S4 = ("a1111111-0000-4000-8000-000000000001", "a2222222-0000-4000-8000-000000000002",
                  "b3333333-0000-4000-8000-000000000003", "c4444444-0000-4000-8000-000000000004")


def ago(seconds: float) -> str:
    return utc_now(NOW - seconds)


def insert(conn, table: str, **row) -> None:
    conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))


def make_ledger(project: Path) -> object:
    project.mkdir(parents=True)
    return connect(str(project / ".claude-session.db"))


def event(conn, sid: str, event_type: str, age: float, duration: int, agent: str | None = None, **extra) -> None:
    insert(conn, "hook_events", session_id=sid, timestamp=ago(age), event_type=event_type, dispatcher=event_type,
           payload_summary='{"hook_event_name": "%s"}' % event_type, exit_code=0, duration_ms=duration,
           event_uid=f"uid-{next(UIDS)}", agent_id=agent, outcome="ok", replayed=0, **extra)


def claim(conn, sid: str, agent: str, path: str, age: float, phase: str = "done") -> None:
    insert(conn, "file_claims", session_id=sid, agent_id=agent, file_path=path, operation="Edit", timestamp=ago(age),
           status="held", phase=phase)


def error(conn, sid: str, command: str, age: float, attempt: int, resolution: str | None = None) -> None:
    insert(conn, "error_log", session_id=sid, timestamp=ago(age), agent_id=f"main:{sid}", error_category="test",
           error_message=f"{command} failed", attempt_number=attempt, resolution=resolution, signature=command,
           tool_name="Bash", command=command, resolved_at=ago(age - 1) if resolution == "auto_fixed" else None)


def usage(conn, sid: str, key: str, model: str, i: int, o: int, cw: int = 0, cr: int = 0) -> None:
    insert(conn, "transcript_usage", session_id=sid, message_key=key, model=model, input_tokens=i, output_tokens=o,
           cache_creation_input_tokens=cw, cache_read_input_tokens=cr)


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> dict[str, tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("team")
    alice_dir, bob_dir, carol_dir = root / "home-alice" / "app", root / "home-bob" / "src" / "acme-app", root / "ci" / "beta"

    alice = make_ledger(alice_dir)
    insert(alice, "sessions", session_id=S1, project_dir=str(alice_dir), started_at=ago(2 * DAY), ended_at=ago(2 * DAY - 3600),
           status="ended", model="claude-opus-4-1", last_event_at=ago(2 * DAY - 3600))
    insert(alice, "sessions", session_id=S2, project_dir=str(alice_dir), started_at=ago(600), status="active",
           model="claude-sonnet-4-5", last_event_at=ago(60))
    insert(alice, "agent_registry", id=f"main:{S2}", session_id=S2, agent_type="main", spawn_time=ago(600),
           status="running", last_event_at=ago(60))
    insert(alice, "agent_registry", id="sub-alice", session_id=S2, agent_type="Explore", task_description="find tests",
           spawn_time=ago(300), status="running", last_event_at=ago(30))
    insert(alice, "agent_registry", id=f"main:{S1}", session_id=S1, agent_type="main", spawn_time=ago(2 * DAY),
           end_time=ago(2 * DAY - 3600), status="completed", last_event_at=ago(2 * DAY - 3600))
    claim(alice, S1, f"main:{S1}", f"{alice_dir}/src/app.py", 2 * DAY - 100)
    claim(alice, S1, f"main:{S1}", f"{alice_dir}/README.md", 2 * DAY - 90)
    claim(alice, S1, f"main:{S1}", f"{alice_dir}/src/old.py", 9 * DAY)  # outside the 7-day window
    claim(alice, S2, "sub-alice", f"{alice_dir}/src/never.py", 20, phase="failed")
    for n in range(3):
        error(alice, S1, "pytest", 2 * DAY - 200 + n, n + 1, "auto_fixed" if n == 2 else None)
    usage(alice, S1, "m1", "claude-opus-4-1-20250805", 1_000_000, 100_000, 200_000, 1_000_000)  # $27.75
    insert(alice, "llm_verdicts", session_id=S1, timestamp=ago(2 * DAY - 3000), hook_event="TaskCompleted", task_id="1",
           verdict_json='{"ok": true}', decision="allow", reason="tests pass")
    for n, d in enumerate((10, 20, 30, 40, 100)):
        event(alice, S1, "PreToolUse", 2 * DAY - n, d)
    event(alice, S1, "PreCompact", 2 * DAY - 10, 7)
    event(alice, S2, "PostToolUse", 60, 15, "sub-alice")
    alice.close()

    bob = make_ledger(bob_dir)
    insert(bob, "sessions", session_id=S3, project_dir=str(bob_dir), started_at=ago(3 * 3600), status="active",
           model="claude-sonnet-4-5", last_event_at=ago(180))
    insert(bob, "agent_registry", id=f"main:{S3}", session_id=S3, agent_type="main", spawn_time=ago(3 * 3600),
           status="running", last_event_at=ago(180))
    claim(bob, S3, f"main:{S3}", f"{bob_dir}/src/app.py", 3600)
    claim(bob, S3, f"main:{S3}", f"{bob_dir}/src/app.py", 3500)
    claim(bob, S3, f"main:{S3}", f"{bob_dir}/src/old.py", 10 * DAY)
    for n in range(2):
        error(bob, S3, "pytest", 3000 - n, n + 1)
    usage(bob, S3, "m1", "claude-sonnet-4-5-20250929", 2_000_000, 1_000_000)  # $21
    insert(bob, "llm_verdicts", session_id=S3, timestamp=ago(2000), hook_event="TaskCompleted", task_id="1",
           verdict_json='{"ok": false}', decision="block", reason="2 tests fail")
    insert(bob, "tasks", session_id=S3, task_id="1", subject="Fix the login", status="in_progress", created_at=ago(2500))
    for d in (5, 5, 5, 5):
        event(bob, S3, "PreToolUse", 200 + d, d)
    bob.close()

    carol = make_ledger(carol_dir)
    insert(carol, "sessions", session_id=S4, project_dir=str(carol_dir), started_at=ago(5 * 3600), ended_at=ago(4 * 3600),
           status="ended", model="claude-haiku-5-5", last_event_at=ago(4 * 3600))
    claim(carol, S4, f"main:{S4}", f"{carol_dir}/src/app.py", 4 * 3600 + 60)  # same name, another project
    error(carol, S4, "npm test", 4 * 3600 + 30, 1)
    usage(carol, S4, "m1", "claude-haiku-5-5", 150_000, 10_000)  # the > 100k tier: $0.075 + $0.025
    usage(carol, S4, "m2", "claude-haiku-5-5", 50_000, 10_000)   # $0.005 + $0.005
    usage(carol, S4, "m3", "<synthetic>", 10, 10)                # no price
    event(carol, S4, "PreToolUse", 4 * 3600 + 100, 50)
    carol.close()

    (bob_dir / ".claude").mkdir()
    (bob_dir / ".claude" / "hookledger.json").write_text('{"sync": {"postgres": {"project": "github.com/acme/app"}}}')
    if shutil.which("git"):  # alice's checkout names its project by its remote; bob's config says it
        subprocess.run(["git", "init", "-q", str(alice_dir)], check=True)
        subprocess.run(["git", "-C", str(alice_dir), "remote", "add", "origin",
                        "https://alice:ghp_1234567890abcdefghijABCDEFGHIJ123456@github.com/acme/app.git"], check=True)
    else:
        (alice_dir / ".claude").mkdir()
        (alice_dir / ".claude" / "hookledger.json").write_text('{"sync": {"postgres": {"project": "github.com/acme/app"}}}')
    return {"alice": (alice_dir, {"HOOKLEDGER_PERSON": "alice@acme.test", "HOOKLEDGER_HOST": "laptop-a"}),
            "bob": (bob_dir, {"HOOKLEDGER_PERSON": "bob@acme.test", "HOOKLEDGER_HOST": "laptop-b"}),
            "carol": (carol_dir, {"HOOKLEDGER_PERSON": "carol@acme.test", "HOOKLEDGER_HOST": "ci-runner-7"})}


@pytest.fixture(scope="module")
def synced(pg_cluster, team):
    with new_database(pg_cluster) as warehouse:
        for project, env in team.values():
            sync_cli(project / ".claude-session.db", project, warehouse.url, env=env)
        yield warehouse


def test_the_ledgers_know_their_machine_person_and_project(synced):
    rows = synced.query("SELECT person, host, project, git_remote FROM hookledger.ledgers ORDER BY person")
    assert [r[:3] for r in rows] == [("alice@acme.test", "laptop-a", "github.com/acme/app"),
                                     ("bob@acme.test", "laptop-b", "github.com/acme/app"),
                                     ("carol@acme.test", "ci-runner-7", "beta")]
    if shutil.which("git"):
        assert rows[0][3] == "https://github.com/acme/app.git"  # the token in the remote stays home


def test_sessions_across_projects_and_people(synced):
    rows = synced.dicts("SELECT * FROM hookledger.v_sessions ORDER BY session_id")
    by = {r["session_id"]: r for r in rows}
    assert [by[s]["person"] for s in (S1, S2, S3, S4)] == ["alice@acme.test", "alice@acme.test", "bob@acme.test",
                                                           "carol@acme.test"]
    assert (by[S1]["events"], by[S1]["compactions"], by[S1]["errors"], by[S1]["open_errors"]) == (6, 1, 3, 1)
    assert (by[S1]["files_changed"], by[S1]["gate_verdicts"], by[S1]["gate_blocks"]) == (3, 1, 0)
    assert (by[S3]["gate_verdicts"], by[S3]["gate_blocks"], by[S3]["files_changed"]) == (1, 1, 2)
    assert by[S1]["cost_usd"] == Decimal("27.7500") and by[S3]["cost_usd"] == Decimal("21.0000")
    assert by[S1]["duration_s"] == Decimal("3600.0") and by[S2]["subagents"] == 1
    assert by[S2]["files_changed"] == 0  # its one claim failed


def test_live_agents_across_machines_by_last_heard_from(synced):
    rows = synced.query("SELECT host, person, agent_id, agent_type FROM hookledger.v_live_agents")
    assert rows == [("laptop-a", "alice@acme.test", "sub-alice", "Explore"),
                    ("laptop-a", "alice@acme.test", f"main:{S2}", "main"),
                    ("laptop-b", "bob@acme.test", f"main:{S3}", "main")]
    quiet = [float(r[0]) for r in synced.query("SELECT extract(epoch FROM quiet_for) FROM hookledger.v_live_agents")]
    since = time.time() - NOW  # the dataset's times were set when this module was imported
    assert abs(quiet[0] - (30 + since)) < 60 and abs(quiet[2] - (180 + since)) < 60


def test_files_touched_by_more_than_one_person_or_machine(synced):
    week = synced.dicts("SELECT * FROM hookledger.v_shared_files_7d")
    assert [(r["project"], r["path"], r["people"], r["machines"], r["changes"]) for r in week] == \
        [("github.com/acme/app", "src/app.py", 2, 2, 3)]
    assert week[0]["person_list"] == ["alice@acme.test", "bob@acme.test"]
    assert week[0]["host_list"] == ["laptop-a", "laptop-b"]
    longer = synced.query("SELECT path FROM hookledger.shared_files(now() - interval '15 days') ORDER BY path")
    assert longer == [("src/app.py",), ("src/old.py",)]
    day = synced.query("SELECT path FROM hookledger.shared_files(now() - interval '1 day')")
    assert day == []  # alice's change is two days old


def test_most_frequent_failing_commands(synced):
    rows = synced.dicts("SELECT * FROM hookledger.v_failing_commands")
    assert [(r["signature"], r["failures"], r["people"], r["machines"], r["projects"], r["still_open"], r["fixed"])
            for r in rows] == [("pytest", 5, 2, 2, 1, 4, 1), ("npm test", 1, 1, 1, 1, 1, 0)]
    assert rows[0]["max_attempts"] == 3 and rows[0]["project_list"] == ["github.com/acme/app"]


def test_cost_and_tokens_per_day_person_project_model(synced):
    rows = synced.dicts("SELECT * FROM hookledger.v_daily_usage ORDER BY person, model")
    got = [(str(r["day"]), r["person"], r["project"], r["model"], r["messages"], r["input_tokens"], r["cost_usd"],
            r["unpriced_messages"]) for r in rows]
    day = lambda age: time.strftime("%Y-%m-%d", time.gmtime(NOW - age))  # noqa: E731
    assert got == [
        (day(2 * DAY), "alice@acme.test", "github.com/acme/app", "claude-opus-4-1-20250805", 1, 1_000_000,
         Decimal("27.7500"), 0),
        (day(3 * 3600), "bob@acme.test", "github.com/acme/app", "claude-sonnet-4-5-20250929", 1, 2_000_000,
         Decimal("21.0000"), 0),
        (day(5 * 3600), "carol@acme.test", "beta", "<synthetic>", 1, 10, None, 1),
        (day(5 * 3600), "carol@acme.test", "beta", "claude-haiku-5-5", 2, 200_000, Decimal("0.1100"), 0)]
    assert {r["cost_source"] for r in rows} == {"tokens x model_prices"}


def test_gate_verdicts_and_hook_latency_per_host(synced):
    verdicts = synced.query("SELECT person, decision, task_subject FROM hookledger.v_gate_verdicts ORDER BY person")
    assert verdicts == [("alice@acme.test", "allow", None), ("bob@acme.test", "block", "Fix the login")]
    latency = synced.query("SELECT host, event, runs, p50_ms, p95_ms, max_ms FROM hookledger.v_hook_latency_by_host"
                           " WHERE event = 'PreToolUse'")
    assert latency == [("ci-runner-7", "PreToolUse", 1, 50, 50, 50), ("laptop-a", "PreToolUse", 5, 30, 100, 100),
                       ("laptop-b", "PreToolUse", 4, 5, 5, 5)]
    recent = synced.query("SELECT host, runs FROM hookledger.hook_latency(now() - interval '1 day')"
                          " WHERE event = 'PreToolUse'")
    assert recent == [("ci-runner-7", 1), ("laptop-b", 4)]


@pytest.mark.parametrize("remote, key", [
    ("https://github.com/acme/app.git", "github.com/acme/app"),
    ("git@github.com:acme/app.git", "github.com/acme/app"),
    ("ssh://git@GitHub.com:22/acme/app", "github.com/acme/app"),
    ("https://gitlab.example.com/group/sub/proj/", "gitlab.example.com/group/sub/proj"),
    (None, "beta"),
])
def test_project_key_from_a_git_remote(remote, key):
    assert project_key(remote, "/ci/beta") == key
    if remote:
        assert project_key(plain_remote(remote.replace("https://", "https://u:tok@")), "/x") == key
