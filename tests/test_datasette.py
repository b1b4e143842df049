"""`hookledger datasette-metadata`: valid metadata whose every canned query runs against a
ledger the real hooks recorded, and, when Datasette is installed, serves through it."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import rows
from inspect_support import A_BASIC, B_SUBAGENT, C_COMPACT, recorded  # noqa: F401

from hookledger.faces.cli import cli


def metadata(project) -> dict:
    result = CliRunner().invoke(cli, ["datasette-metadata", "--project", str(project)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_metadata_describes_every_view_and_names_the_database_as_datasette_does(recorded):
    meta = metadata(recorded)
    [(name, database)] = meta["databases"].items()
    assert name == ".claude-session"  # Datasette names a database after its file's stem
    views = {r["name"] for r in rows(recorded, "SELECT name FROM sqlite_master WHERE type = 'view'")}
    assert set(database["tables"]) == views and all(t["description"] for t in database["tables"].values())
    assert all(q["title"] and q["sql"] for q in database["queries"].values())
    other = CliRunner().invoke(cli, ["datasette-metadata", "--db", str(recorded / "elsewhere.db")])
    assert list(json.loads(other.output)["databases"]) == ["elsewhere"]


def test_every_canned_query_runs_against_the_recorded_ledger(recorded):
    queries = metadata(recorded)["databases"][".claude-session"]["queries"]
    conn = sqlite3.connect(str(recorded / ".claude-session.db"))
    conn.row_factory = sqlite3.Row
    results = {}
    for name, query in queries.items():
        params = {"session": B_SUBAGENT[:8]} if ":session" in query["sql"] else {}
        results[name] = [dict(r) for r in conn.execute(query["sql"], params)]
    conn.close()
    assert len(results["sessions"]) == len(rows(recorded, "SELECT * FROM sessions"))
    assert len(results["session_timeline"]) == len(rows(recorded, "SELECT * FROM v_session_timeline WHERE session_id = ?", (B_SUBAGENT,)))
    assert {r["file_path"] for r in results["session_file_changes"]} == {"sub.txt"}
    assert results["open_errors"] and results["failed_paths"] and results["claim_conflicts"] and results["live_agents"]
    assert results["files_held"] and all(r["live"] == 1 for r in results["files_held"])
    assert [r["duration_ms"] for r in results["slowest_hook_runs"]] == sorted(
        (r["duration_ms"] for r in results["slowest_hook_runs"]), reverse=True)
    assert results["hook_problems"] and results["hook_latency"] and results["session_latency"]


@pytest.mark.skipif(importlib.util.find_spec("datasette") is None,
                    reason="Datasette is an optional extra (pip install 'hookledger[datasette]')")
def test_datasette_serves_the_canned_queries(recorded, tmp_path):
    meta = tmp_path / "metadata.json"
    CliRunner().invoke(cli, ["datasette-metadata", "--project", str(recorded), "-o", str(meta)])
    for name in json.loads(meta.read_text())["databases"][".claude-session"]["queries"]:
        proc = subprocess.run([sys.executable, "-m", "datasette", str(recorded / ".claude-session.db"), "-m", str(meta),
                               "--get", f"/~2Eclaude-session/{name}.json?session={C_COMPACT[:8]}&_shape=objects"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "rows" in json.loads(proc.stdout), (name, proc.stdout[:300], proc.stderr[-300:])
