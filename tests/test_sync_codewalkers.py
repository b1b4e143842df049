"""Sync into Codewalkers: camelCase columns, unique aliases, chunks without foreign keys."""

from __future__ import annotations

import json
from pathlib import Path

import sync_support as s
from hookledger.sync.codewalkers import alias


def populated(tmp_path: Path) -> Path:
    return s.make_target(tmp_path / "codewalkers.db", "codewalkers_populated.sql",
                         TAKEN_ALIAS=alias(f"main:{s.SID_A}"))


def test_empty_target(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "codewalkers.db"
    s.run("codewalkers", ledger, target, project)
    agents = {r["id"]: r for r in s.rows(target, "SELECT * FROM agents")}
    assert agents[f"main:{s.SID_A}"]["status"] == "stopped" and agents[s.SUB_LIVE]["status"] == "running"
    assert all(a["worktreeId"] == str(project) and a["provider"] == "claude" for a in agents.values())
    assert len({a["name"] for a in agents.values()}) == len(agents)
    chunks = s.rows(target, "SELECT * FROM agent_log_chunks")
    conn_events = s.rows(s.Path(ledger), "SELECT count(*) AS n FROM hook_events")[0]["n"]
    snapshots = s.rows(s.Path(ledger), "SELECT count(*) AS n FROM context_snapshots")[0]["n"]
    assert len(chunks) == conn_events + snapshots  # each hook event, and each context snapshot
    snap = [json.loads(c["content"]) for c in chunks if '"context_snapshot"' in c["content"]]
    assert sorted(x["snapshot_type"] for x in snap) == ["pre_compact", "session_end"]
    sub = [c for c in chunks if c["agentId"] == s.SUB_LIVE]
    assert sub and all(c["agentName"] == agents[s.SUB_LIVE]["name"] for c in sub)
    line = json.loads(sub[0]["content"])
    assert line["session_id"] == s.SID_B and sub[0]["content"].endswith("\n")
    assert all(s.SECRET not in c["content"] for c in chunks)
    assert all(isinstance(c["createdAt"], int) and c["createdAt"] < 10**11 for c in chunks)  # seconds


def test_prepopulated_alias_collision_and_extra_columns(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = populated(tmp_path)
    theirs = s.rows(target, "SELECT * FROM agents WHERE id = 'cw-agent-1'")
    s.run("codewalkers", ledger, target, project)
    assert s.rows(target, "SELECT * FROM agents WHERE id = 'cw-agent-1'") == theirs
    ours = s.rows(target, "SELECT name FROM agents WHERE id = ?", (f"main:{s.SID_A}",))[0]["name"]
    assert ours != theirs[0]["name"] and ours.startswith(theirs[0]["name"])
    assert s.rows(target, "SELECT count(*) AS n FROM agent_log_chunks WHERE id = 'chunk-orphan'")[0]["n"] == 1
    assert s.fk_violations(target) == []


def test_second_sync_adds_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_idempotent("codewalkers", ledger, populated(tmp_path), project)


def test_dry_run_writes_nothing(tmp_path):
    ledger, project = s.setup(tmp_path)
    s.check_dry_run("codewalkers", ledger, populated(tmp_path), project)


def test_interrupted_sync_resumes_without_duplicates(tmp_path, monkeypatch):
    ledger, project = s.setup(tmp_path)
    s.check_resume("codewalkers", ledger, tmp_path / "cw.db", project, tmp_path, monkeypatch)
