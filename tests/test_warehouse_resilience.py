"""The warehouse sync under adverse conditions, against a real PostgreSQL server: several ledgers
(and several syncs of one ledger) at once into one fresh database, again and again while hooks
keep recording; a sync SIGKILLed between batches or inside a COPY resumes without duplicates;
an unreachable server, refused credentials and a locked table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import pg_server
from conftest import load_fixture, run_hook
from warehouse_support import (LIB, assert_matches_ledger, copy_ledger, hookledger_cli, ledger_id,  # noqa: F401
                               pg_cluster, recorded, sync_cli, warehouse)


def more_events(project: Path, ledger: Path, n: int, tag: str) -> None:
    """`n` hook runs of a new session through the real hooks (a start, then Bash calls)."""
    env = {"HOOKLEDGER_DB": str(ledger)}
    sid = f"{tag}-0000-4000-8000-000000000000"
    run_hook("SessionStart", {**load_fixture("SessionStart__startup", project), "session_id": sid}, project, env=env)
    for i in range(n - 1):
        payload = {**load_fixture("PreToolUse__Bash", project), "session_id": sid, "tool_use_id": f"toolu_{tag}_{i}"}
        assert run_hook("PreToolUse", payload, project, env=env).returncode == 0


def start_sync(ledger: Path, project: Path, url: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hookledger", "sync", "--to", "postgres", "--target-db", url,
                             "--db", str(ledger), "--project", str(project)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(LIB), **env})


def test_many_ledgers_at_once_again_and_again(warehouse, recorded, tmp_path):
    """Four ledgers (four people on four machines), each synced by two processes at once, into a
    database without the schema yet; three rounds with new hook runs in between."""
    ledgers = [copy_ledger(recorded, tmp_path, f"project-{i}") for i in range(4)]
    who = [{"HOOKLEDGER_PERSON": f"dev{i}@example.com", "HOOKLEDGER_HOST": f"laptop-{i}"} for i in range(4)]
    for round_ in range(3):
        procs = [start_sync(ledger, project, warehouse.url, **who[i])
                 for i, (project, ledger) in enumerate(ledgers) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        for i, (project, ledger) in enumerate(ledgers):
            more_events(project, ledger, 3, f"{round_:04d}{i:04d}")
    for i, (project, ledger) in enumerate(ledgers):
        sync_cli(ledger, project, warehouse.url, env=who[i])
        compared = assert_matches_ledger(warehouse, ledger)
        assert compared["hook_events"] > 9
    people = warehouse.query("SELECT person, host FROM hookledger.ledgers ORDER BY person")
    assert people == [(f"dev{i}@example.com", f"laptop-{i}") for i in range(4)]
    assert len({ledger_id(ledger) for _, ledger in ledgers}) == 4
    from hookledger.sync.warehouse.schema import migrations

    assert warehouse.query("SELECT count(*) FROM hookledger.schema_migrations") == [(len(migrations()),)]


# Runs one sync in a child process that SIGKILLs itself at a chosen point: no finally, no
# rollback by Python, exactly as a killed process dies. Batches of 10 rows make many batches.
KILLER = """
import os, signal, sys
sys.path.insert(0, {lib!r})
import hookledger.sync.warehouse.run as run
import hookledger.sync.warehouse.load as load
run.BATCH_ROWS = 10
seen = {{"n": 0}}
if {where!r} == "between_batches":   # a batch committed with its cursor; the next not begun
    real = run.Sync._tick
    def tick(self, n):
        real(self, n)
        seen["n"] += 1
        if seen["n"] == 12:
            os.kill(os.getpid(), signal.SIGKILL)
    run.Sync._tick = tick
else:                                # half the rows of a hook_events COPY sent, not committed
    real = load.Loader.copy
    def copy(self, target, rows):
        def then_die():
            for i, row in enumerate(rows):
                if target.name == "hook_events" and i == 5:
                    seen["n"] += 1
                    if seen["n"] == 3:
                        os.kill(os.getpid(), signal.SIGKILL)
                yield row
        return real(self, target, then_die())
    load.Loader.copy = copy
from hookledger.faces.cli import cli
cli(["sync", "--to", "postgres", "--target-db", {url!r}, "--db", {ledger!r}, "--project", {project!r}])
"""


@pytest.mark.parametrize("where", ["between_batches", "inside_a_copy"])
def test_killed_sync_resumes_without_duplicates(warehouse, recorded, tmp_path, where):
    project, ledger = copy_ledger(recorded, tmp_path, "killed")
    script = KILLER.format(lib=str(LIB), where=where, url=warehouse.url, ledger=str(ledger), project=str(project))
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    lid = ledger_id(ledger)
    partial = warehouse.counts(lid)
    # what is there is exactly what the cursors say: each batch and its cursor in one transaction
    for table, last in warehouse.query("SELECT source_table, last_rowid FROM hookledger.sync_state"):
        if table in ("hook_events", "file_claims", "error_log", "context_snapshots", "llm_verdicts", "session_metrics"):
            assert warehouse.query(f"SELECT count(*), coalesce(max(id), 0) FROM hookledger.{table}")[0][1] <= last
    sync_cli(ledger, project, warehouse.url)  # resume
    full = assert_matches_ledger(warehouse, ledger)
    assert sum(partial.values()) < sum(full.values())  # it really died half way
    assert "nothing new" in sync_cli(ledger, project, warehouse.url).stdout


def test_unreachable_server_is_retried_then_a_clear_error(recorded, tmp_path):
    project, ledger = copy_ledger(recorded, tmp_path, "nowhere")
    port = pg_server.free_port()  # nothing listens there
    url = f"postgresql://syncer:hunter2-pw@127.0.0.1:{port}/team"
    started = time.monotonic()
    proc = sync_cli(ledger, project, url, env={"HOOKLEDGER_PG_RETRY_DELAYS": "0.2,0.4,0.8"}, check=False)
    took = time.monotonic() - started
    assert proc.returncode == 1 and proc.stdout == ""
    retries = [line for line in proc.stderr.splitlines() if "retrying in" in line]
    assert [line.rsplit("retrying in ", 1)[1] for line in retries] == ["0.2 s", "0.4 s", "0.8 s"]
    assert f"cannot reach PostgreSQL at postgresql://syncer@127.0.0.1:{port}/team after 4 attempts" in proc.stderr
    assert "hunter2-pw" not in proc.stderr and took >= 1.4


def test_refused_credentials_fail_at_once(warehouse, recorded, tmp_path):
    project, ledger = copy_ledger(recorded, tmp_path, "refused")
    url = warehouse.url_for(pg_server.SUPERUSER, "not-the-password")
    proc = sync_cli(ledger, project, url, env={"HOOKLEDGER_PG_RETRY_DELAYS": "5,5"}, check=False)
    assert proc.returncode == 1 and "retrying" not in proc.stderr
    assert "refused the connection" in proc.stderr and "password authentication failed" in proc.stderr
    assert "not-the-password" not in proc.stderr


def hold_lock(warehouse, table: str, seconds: float) -> threading.Thread:
    """Another session holds an ACCESS EXCLUSIVE lock on a warehouse table for `seconds`."""
    ready = threading.Event()

    def hold() -> None:
        with warehouse.connect() as conn:
            with conn.transaction():
                conn.execute(f"LOCK TABLE hookledger.{table} IN ACCESS EXCLUSIVE MODE")
                ready.set()
                time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert ready.wait(30)
    return thread


def test_a_locked_table_is_retried_with_backoff(warehouse, recorded, tmp_path):
    project, ledger = copy_ledger(recorded, tmp_path, "locked")
    assert hookledger_cli("warehouse", "init", "--target-db", warehouse.url).returncode == 0
    env = {"HOOKLEDGER_PG_LOCK_TIMEOUT_MS": "200", "HOOKLEDGER_PG_RETRY_DELAYS": "0.3,0.6,1.2,2.4"}
    holder = hold_lock(warehouse, "hook_events", 1.5)
    proc = sync_cli(ledger, project, warehouse.url, env=env)
    holder.join()
    assert "lock timeout" in proc.stderr and "retrying in 0.3 s" in proc.stderr
    assert_matches_ledger(warehouse, ledger)


def test_a_table_locked_for_good_fails_cleanly_and_resumes(warehouse, recorded, tmp_path):
    project, ledger = copy_ledger(recorded, tmp_path, "locked-for-good")
    assert hookledger_cli("warehouse", "init", "--target-db", warehouse.url).returncode == 0
    env = {"HOOKLEDGER_PG_LOCK_TIMEOUT_MS": "100", "HOOKLEDGER_PG_RETRY_DELAYS": "0.1,0.1"}
    holder = hold_lock(warehouse, "hook_events", 6)
    proc = sync_cli(ledger, project, warehouse.url, env=env, check=False)
    holder.join()
    assert proc.returncode == 1
    assert "kept failing a batch (3 attempts)" in proc.stderr and "lock timeout" in proc.stderr
    assert warehouse.counts(ledger_id(ledger))["hook_events"] == 0
    sync_cli(ledger, project, warehouse.url)
    assert_matches_ledger(warehouse, ledger)
