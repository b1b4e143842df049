"""Who may do what in the warehouse, and what never reaches it: a role with only USAGE, SELECT,
INSERT and UPDATE syncs (with or without temporary tables) once the owner ran `warehouse init`;
a read role reads; credentials are never stored in the ledger, the settings or the logs; no
secret (seeded through the real hooks, or planted in an older ledger) is in a pg_dump."""

from __future__ import annotations

import json
import sqlite3

import pytest

import pg_server
from conftest import load_fixture, run_hook
from hookledger.handlers import autosync as auto
from warehouse_support import (assert_matches_ledger, demo, hookledger_cli, ledger_id, pg_cluster,  # noqa: F401
                               recorded, sync_cli, warehouse)

SYNC_PW = "syncer-Pw-5f1d2e9c"
READ_PW = "grafana-Pw-a8b7c6d5"


@pytest.fixture
def roles(warehouse):
    """A sync role and a read role with no rights of their own (no CREATE anywhere)."""
    names = [f"syncer_{warehouse.db}", f"grafana_{warehouse.db}"]
    warehouse.execute(f"CREATE ROLE {names[0]} LOGIN PASSWORD '{SYNC_PW}'")
    warehouse.execute(f"CREATE ROLE {names[1]} LOGIN PASSWORD '{READ_PW}'")
    warehouse.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    warehouse.execute(f"REVOKE CREATE ON DATABASE {warehouse.db} FROM PUBLIC")
    yield names
    warehouse.execute(f"DROP OWNED BY {names[0]}, {names[1]}")
    for name in names:
        warehouse.execute(f"DROP ROLE {name}")


def test_a_role_without_ddl_rights_syncs_after_init(warehouse, demo, roles):
    syncer, reader = roles
    project, ledger = demo
    as_syncer = warehouse.url_for(syncer)  # the password comes from PGPASSWORD, not the URL
    env = {"PGPASSWORD": SYNC_PW}
    before = sync_cli(ledger, project, as_syncer, env=env, check=False)
    assert before.returncode == 1 and "run `hookledger warehouse init --target-db URL` as the database owner" in before.stderr

    init = hookledger_cli("warehouse", "init", "--target-db", warehouse.url, "--grant-sync", syncer,
                          "--grant-read", reader)
    assert init.returncode == 0, init.stderr
    assert f"{syncer} may sync (SELECT, INSERT, UPDATE)" in init.stdout and f"{reader} may read" in init.stdout
    privileges = warehouse.query(
        "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = %s AND table_schema = 'hookledger' ORDER BY 1", (syncer,))
    assert privileges == [("INSERT",), ("SELECT",), ("UPDATE",)]

    sync_cli(ledger, project, as_syncer, env=env)
    assert_matches_ledger(warehouse, ledger)
    # changed rows go through a temporary staging table; without TEMP they go row by row
    warehouse.execute(f"REVOKE TEMPORARY ON DATABASE {warehouse.db} FROM PUBLIC")
    envs = {"HOOKLEDGER_DB": str(ledger)}
    fail = {**load_fixture("PostToolUseFailure__Bash", project), "tool_use_id": "toolu_x1"}
    run_hook("PostToolUseFailure", fail, project, env=envs)
    assert "error_log: 1 inserted, 0 updated" in sync_cli(ledger, project, as_syncer, env=env).stdout
    run_hook("PostToolUse", {**load_fixture("PostToolUse__Bash", project), "session_id": fail["session_id"],
                             "tool_input": fail["tool_input"], "tool_use_id": "toolu_x2"}, project, env=envs)
    out = sync_cli(ledger, project, as_syncer, env=env).stdout
    assert "error_log: 0 inserted, 1 updated" in out, out
    assert_matches_ledger(warehouse, ledger)

    import psycopg

    with psycopg.connect(as_syncer, password=SYNC_PW, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE hookledger.mine (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM hookledger.hook_events")
    with psycopg.connect(warehouse.url_for(reader), password=READ_PW, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM hookledger.v_sessions").fetchone()[0] >= 4
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE hookledger.sessions SET status = 'x'")


def test_a_sync_role_syncs_what_it_can_when_the_warehouse_is_behind(warehouse, demo, roles):
    syncer, _ = roles
    project, ledger = demo
    assert hookledger_cli("warehouse", "init", "--target-db", warehouse.url, "--grant-sync", syncer).returncode == 0
    warehouse.execute("DELETE FROM hookledger.schema_migrations WHERE number = 3")  # as if w003 were new
    out = sync_cli(ledger, project, warehouse.url_for(syncer), env={"PGPASSWORD": SYNC_PW}).stdout
    assert "not synced: what needs w003_team_views" in out and "hookledger warehouse migrate" in out
    assert_matches_ledger(warehouse, ledger)


def test_credentials_are_stored_nowhere(warehouse, demo, tmp_path):
    project, ledger = demo
    in_url = warehouse.url  # the admin password is in this URL
    out = sync_cli(ledger, project, in_url, "--progress")
    assert pg_server.PASSWORD not in out.stdout + out.stderr
    assert "postgresql://hl_admin@127.0.0.1" in out.stdout
    env_pw = sync_cli(ledger, project, warehouse.url_for(pg_server.SUPERUSER), env={"PGPASSWORD": pg_server.PASSWORD})
    assert pg_server.PASSWORD not in env_pw.stdout + env_pw.stderr
    status = hookledger_cli("warehouse", "status", "--target-db", in_url)
    assert status.returncode == 0 and pg_server.PASSWORD not in status.stdout + status.stderr
    assert ledger_id(ledger) in status.stdout
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert pg_server.PASSWORD.encode() not in path.read_bytes(), path
    assert pg_server.PASSWORD not in warehouse.dump()
    # a URL carrying a password is never put on an automatic sync's command line
    config = {"sync": {"auto": [{"to": "postgres", "target_db": in_url},
                                {"to": "postgres", "target_db": f"host=x password={pg_server.PASSWORD}"},
                                {"to": "postgres", "target_db": warehouse.url_for(pg_server.SUPERUSER)}]}}
    assert auto.auto_targets(config) == [{"to": "postgres", "target_db": warehouse.url_for(pg_server.SUPERUSER)}]


SECRETS = {
    "anthropic": "sk-ant-api03-Zq9XwV8uT7sR6qP5oN4mL3kJ2",
    "github": "ghp_1234567890abcdefghijABCDEFGHIJ123456",
    "aws": "AKIAZ7QWERTYUIOPASDF",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
    "password": "Tr0ub4dor-and-3-horses",
    "slack": "xoxb-2048-4096-SlackT0kenValue",
    "numeric_pin": "8675309112",  # a number under a secret-named key
}


def test_no_secret_in_a_dump_of_the_warehouse(warehouse, demo):
    """Secrets go in through the real hooks (prompts, commands, errors, tool input, task subjects),
    and straight into the ledger's rows as an older hookledger would have left them."""
    project, ledger = demo
    env = {"HOOKLEDGER_DB": str(ledger)}
    sid = "5ec7e700-0000-4000-8000-000000000001"

    def hook(event: str, fixture: str, **fields) -> None:
        assert run_hook(event, {**load_fixture(fixture, project), "session_id": sid, **fields}, project,
                        env=env).returncode == 0

    hook("SessionStart", "SessionStart__startup")
    hook("UserPromptSubmit", "UserPromptSubmit__default", prompt=f"use {SECRETS['anthropic']} to call the API")
    bash = f"curl -H 'Authorization: Bearer {SECRETS['bearer']}' https://x.test; export GH={SECRETS['github']}"
    hook("PreToolUse", "PreToolUse__Bash", tool_input={"command": bash}, tool_use_id="toolu_s1")
    hook("PostToolUseFailure", "PostToolUseFailure__Bash", tool_input={"command": f"deploy --password {SECRETS['password']}"},
         error=f"Exit code 1\nAWS_ACCESS_KEY_ID={SECRETS['aws']} rejected", tool_use_id="toolu_s2")
    hook("TaskCreated", "TaskCreated__default", task_subject=f"rotate {SECRETS['slack']}")
    hook("SessionEnd", "SessionEnd__other")
    conn = sqlite3.connect(str(ledger))  # an older ledger: stored before redaction existed
    conn.execute("UPDATE error_log SET command = ?, error_message = ? WHERE id = (SELECT max(id) FROM error_log)",
                 (f"psql postgresql://admin:{SECRETS['password']}@db/x", f"token {SECRETS['github']}"))
    conn.execute("INSERT INTO context_snapshots (session_id, snapshot_type, content) VALUES (?, 'pre_compact', ?)",
                 (sid, json.dumps({"env": {"API_KEY": SECRETS["aws"], "db_password": int(SECRETS["numeric_pin"])},
                                   "notes": [f"bearer {SECRETS['bearer']}"], SECRETS["anthropic"]: "as a key"})))
    conn.execute("INSERT INTO failed_paths (session_id, approach, reason_failed, still_relevant) VALUES (?, ?, ?, 1)",
                 (sid, f"export SLACK={SECRETS['slack']}", f"password={SECRETS['password']}"))
    conn.execute("INSERT INTO hook_events (session_id, event_type, payload_summary, error) VALUES (?, 'Stop', ?, ?)",
                 (sid, json.dumps({"secret": SECRETS["password"], "x": [SECRETS["anthropic"]]}) + " trailing",
                  SECRETS["github"]))
    conn.commit()
    raw = b"".join(p.read_bytes() for p in project.glob(".claude-session.db*"))
    assert SECRETS["anthropic"].encode() in raw  # the planted secrets really are in the ledger
    conn.close()

    sync_cli(ledger, project, warehouse.url)
    dump = warehouse.dump()
    assert f"{sid}" in dump and "pre_compact" in dump
    leaked = [name for name, value in SECRETS.items() if value in dump]
    assert leaked == []
    assert "[REDACTED" in dump
