"""`hookledger sync` through click, and the detached SessionEnd auto sync."""

from __future__ import annotations

import subprocess
import time

from click.testing import CliRunner

import sync_support as s
from hookledger.cli import cli
from hookledger.sync import auto


def test_cli_sync_summary_then_nothing_new(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "memory.db"
    args = ["sync", "--to", "massu", "--target-db", str(target), "--project", str(project), "--db", str(ledger)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "observations:" in first.output and "inserted" in first.output
    second = CliRunner().invoke(cli, args)
    assert second.exit_code == 0 and "nothing new" in second.output


def test_cli_dry_run_and_bad_ledger(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "tx.db"
    dry = CliRunner().invoke(cli, ["sync", "--to", "teamx", "--target-db", str(target), "--db", str(ledger), "--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("Would write") and not target.exists()
    missing = CliRunner().invoke(cli, ["sync", "--to", "teamx", "--target-db", str(target), "--db", str(tmp_path / "no.db")])
    assert missing.exit_code != 0 and "no ledger" in missing.output


def test_auto_sync_spawns_detached_and_returns_fast(tmp_path, monkeypatch):
    ledger, project = s.setup(tmp_path)
    spawned = []

    class FakePopen:
        def __init__(self, argv, **kw):
            spawned.append((argv, kw))

    monkeypatch.setattr(subprocess, "Popen", FakePopen)
    config = {"sync": {"auto": [{"to": "massu", "target_db": "memory.db"}, {"to": "nope", "target_db": "x"}]}}
    started = time.perf_counter()
    assert auto.spawn_auto_sync(str(project), str(ledger), config) == 1
    assert time.perf_counter() - started < 0.05
    argv, kw = spawned[0]
    assert argv[argv.index("--to") + 1] == "massu" and argv[argv.index("--target-db") + 1] == str(project / "memory.db")
    assert kw["start_new_session"] and kw["stdin"] == subprocess.DEVNULL and kw["stderr"] == subprocess.DEVNULL


def test_auto_sync_child_really_syncs(tmp_path):
    ledger, project = s.setup(tmp_path)
    target = tmp_path / "fd.db"
    assert auto.spawn_auto_sync(str(project), str(ledger), {"sync": {"auto": [{"to": "flightdeck", "target_db": str(target)}]}}) == 1
    deadline = time.time() + 20
    while time.time() < deadline:
        if target.exists() and s.rows(target, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'decisions'")[0]["n"]:
            if s.rows(target, "SELECT count(*) AS n FROM decisions")[0]["n"] == 2:
                break
        time.sleep(0.1)
    assert s.rows(target, "SELECT count(*) AS n FROM decisions")[0]["n"] == 2
