"""`hookledger warehouse init|migrate|status` and `hookledger sync --to postgres` as a user runs
them (subprocesses, a real server): messages, progress, quiet, and the automatic sync a real
SessionEnd hook starts, detached."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pg_server
from conftest import load_fixture, run_hook
from warehouse_support import (LIB, demo, hookledger_cli, ledger_id, pg_cluster, recorded, sync_cli,  # noqa: F401
                               warehouse)


def test_init_migrate_status(warehouse, demo):
    url = warehouse.url
    status = hookledger_cli("warehouse", "status", "--target-db", url)
    assert status.returncode == 0 and "no hookledger schema (run `hookledger warehouse init`)" in status.stdout
    migrate = hookledger_cli("warehouse", "migrate", "--target-db", url)
    assert migrate.returncode == 1 and "run `hookledger warehouse init --target-db URL`" in migrate.stderr

    init = hookledger_cli("warehouse", "init", "--target-db", url)
    assert init.returncode == 0
    assert init.stdout.strip() == (f"warehouse at postgresql://{pg_server.SUPERUSER}@127.0.0.1:{warehouse.cluster.port}"
                                   f"/{warehouse.db}: applied w001_tables, w002_model_prices, w003_team_views, w004_hook_answers,"
                                   " w005_failed_path_key, w006_history")
    assert hookledger_cli("warehouse", "init", "--target-db", url).stdout.strip().endswith("already up to date")
    assert hookledger_cli("warehouse", "migrate", "--target-db", url).stdout.strip().endswith("already up to date")
    assert warehouse.query("SELECT number, name FROM hookledger.schema_migrations ORDER BY 1") == \
        [(1, "tables"), (2, "model_prices"), (3, "team_views"), (4, "hook_answers"), (5, "failed_path_key"), (6, "history")]

    project, ledger = demo
    sync_cli(ledger, project, url, env={"HOOKLEDGER_PERSON": "dev@acme.test", "HOOKLEDGER_HOST": "box-1"})
    text = hookledger_cli("warehouse", "status", "--target-db", url).stdout
    assert "6 migrations applied, up to date" in text and ledger_id(ledger) in text and "box-1" in text
    found = json.loads(hookledger_cli("warehouse", "status", "--target-db", url, "--json").stdout)
    assert found["pending"] == [] and len(found["ledgers"]) == 1
    assert found["ledgers"][0]["person"] == "dev@acme.test"
    assert found["ledgers"][0]["rows_sent"] == sum(warehouse.counts().values())

    unknown = hookledger_cli("warehouse", "init", "--target-db", url, "--grant-sync", "no_such_role")
    assert unknown.returncode == 1 and 'role "no_such_role" does not exist' in unknown.stderr


def test_sync_progress_and_quiet(warehouse, demo):
    project, ledger = demo
    shown = sync_cli(ledger, project, warehouse.url, "--progress")
    assert "Syncing postgres: " in shown.stderr and "rows (100%)" in shown.stderr
    env = {"HOOKLEDGER_DB": str(ledger)}
    run_hook("PreToolUse", load_fixture("PreToolUse__Bash", project), project, env=env)
    quiet = sync_cli(ledger, project, warehouse.url, "--quiet", "--progress")
    assert quiet.stdout == "" and quiet.stderr == ""
    conn = sqlite3.connect(str(ledger))
    in_ledger = conn.execute("SELECT count(*) FROM hook_events").fetchone()[0]
    conn.close()
    assert warehouse.query("SELECT count(*) FROM hookledger.hook_events") == [(in_ledger,)]  # quiet, not idle


def test_bad_urls_and_no_client(demo):
    project, ledger = demo
    bad = sync_cli(ledger, project, "postgresql://u@127.0.0.1:notaport/db", check=False)
    assert bad.returncode == 1 and "refused the connection" in bad.stderr and "notaport" in bad.stderr
    junk = project / "junk.db"
    junk.write_text("not a database at all")
    unreadable = sync_cli(junk, project, "postgresql://u@127.0.0.1:1/db", check=False)
    assert unreadable.returncode == 1 and f"cannot read the ledger {junk}" in unreadable.stderr
    assert "Traceback" not in unreadable.stderr
    script = ("import sys; sys.path.insert(0, %r); sys.modules['psycopg'] = None\n"
              "from hookledger.faces.cli import main; raise SystemExit(main(['sync', '--to', 'postgres', '--target-db',"
              " 'postgresql://u@h/db', '--db', %r]))") % (str(LIB), str(ledger))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "psycopg 3) is not installed: pip install 'hookledger[postgres]'" in proc.stderr


def test_session_end_syncs_into_the_warehouse_by_itself(warehouse, demo, monkeypatch):
    """The real SessionEnd hook with `sync.auto` naming the warehouse (no password in the
    settings: libpq takes it from PGPASSWORD here, ~/.pgpass in real life) starts a detached
    sync; the session's rows, SessionEnd's own included, reach the warehouse."""
    project, ledger = demo
    url = warehouse.url_for(pg_server.SUPERUSER)
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"sync": {"auto": [{"to": "postgres",
                                                                                      "target_db": url}]}}))
    monkeypatch.setenv("PYTHONPATH", str(LIB))
    env = {"PGPASSWORD": pg_server.PASSWORD, "HOOKLEDGER_DB": str(ledger)}
    sid = "e2e00000-0000-4000-8000-000000000001"
    run_hook("SessionStart", {**load_fixture("SessionStart__startup", project), "session_id": sid}, project, env=env)
    started = time.monotonic()
    proc = run_hook("SessionEnd", {**load_fixture("SessionEnd__other", project), "session_id": sid}, project, env=env)
    assert proc.returncode == 0 and proc.stdout == b"" and time.monotonic() - started < 5
    deadline = time.monotonic() + 120
    found: list = []
    while time.monotonic() < deadline and found != [("ended", 1)]:
        time.sleep(0.5)
        if warehouse.query("SELECT to_regclass('hookledger.sessions')")[0][0] is not None:
            found = warehouse.query(  # the sync commits table by table: wait for both
                "SELECT s.status, (SELECT count(*) FROM hookledger.hook_events e WHERE e.session_id = s.session_id"
                " AND e.event_type = 'SessionEnd') FROM hookledger.sessions s WHERE s.session_id = %s", (sid,))
    assert found == [("ended", 1)]
