"""Cost: the price table and per-message pricing, checked to the cent against costs computed by
hand from the published prices (tests/fixtures/cost/README.md), through the real Stop and
SubagentStop hooks and the real `hookledger cost` / `sessions` / `status` commands."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from conftest import ROOT, load_fixture, rows, run_hook

from hookledger.knowledge.costs import Usage, message_cost
from hookledger.knowledge.prices import load, normalize

COST = Path(__file__).parent / "fixtures" / "cost"
S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"


def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hookledger", *args, "--project", str(project)],
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "lib"), "PATH": "/usr/bin:/bin",
                                                               "COLUMNS": "200"})


def stop(project: Path, sid: str) -> None:
    transcript = project / f"{sid}.jsonl"
    shutil.copy(COST / f"{sid}.jsonl", transcript)
    payload = load_fixture("Stop__default", project)
    payload.update(session_id=sid, transcript_path=str(transcript))
    proc = run_hook("Stop", payload, project)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr


def cost_json(project: Path, *args: str) -> dict:
    proc = cli(project, "cost", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_model_ids_normalised_to_the_table():
    assert normalize("claude-opus-4-8[1m]") == "claude-opus-4-8"
    assert normalize("us.anthropic.claude-opus-4-20250514-v1:0") == "claude-opus-4"
    assert normalize("claude-sonnet-4-5@20250929") == "claude-sonnet-4-5"
    table = load()
    assert table.lookup("claude-opus-4-20250514").rates.input == Decimal("15")
    assert table.lookup("claude-opus-4-8").rates.input == Decimal("5")
    assert table.lookup("claude-opus-4-9") is None  # an unknown model is not priced as its family
    assert table.lookup("claude-sonnet-5-5", "2026-10-06 23:00:00").rates.cache_read == Decimal("0.20")
    assert table.lookup("claude-sonnet-5-5", "2026-10-07 00:00:00").rates.cache_read == Decimal("0.10")
    for row in table.rows:
        assert row.effective and row.source


def test_one_usage_block_priced_exactly():
    table = load()
    # 5m/1h split priced at its own rates; the rest of the total beyond the split is 5-minute.
    assert message_cost(table, "claude-opus-4-8", Usage(1000, 500, 30000, 10000, 20000, 200000)) == Decimal("0.38")
    assert message_cost(table, "claude-opus-4-8", Usage(0, 0, 1000, 0, 0, 0)) == Decimal("0.00625")
    # Opus 5.5 has no published cache rates: a response that needs one is unpriced, not $0.
    assert message_cost(table, "claude-opus-5-5", Usage(1000, 100)) == Decimal("0.006")
    assert message_cost(table, "claude-opus-5-5", Usage(1000, 100, cache_read=10)) is None


def test_costs_from_the_hooks_match_the_published_prices(project):
    stop(project, S1)
    stop(project, S2)
    # msg_A is written twice (one record per content block): one row.
    assert rows(project, "SELECT count(*) AS n FROM transcript_usage WHERE session_id = ?", (S1,))[0]["n"] == 6
    split = rows(project, "SELECT cache_creation_5m_tokens AS m5, cache_creation_1h_tokens AS h1, timestamp"
                          " FROM transcript_usage WHERE message_key = 'msg_A:req_A'")[0]
    assert split == {"m5": 10000, "h1": 20000, "timestamp": "2026-11-01 10:00:00.000"}
    by_session = {g["session"]: g for g in cost_json(project, "--by", "session")["groups"]}
    assert by_session[S1]["usd"] == "1.736840" and by_session[S1]["usd_cents"] == "1.74"
    assert by_session[S1]["cache_write_5m_tokens"] == 10000 + 60000 + 4000
    assert by_session[S1]["cache_write_1h_tokens"] == 20000
    assert by_session[S2]["usd"] is None and by_session[S2]["unpriced_models"] == {"claude-mystery-9": 1}
    by_model = {g["model"]: g["usd"] for g in cost_json(project, "--by", "model")["groups"]}
    assert by_model["claude-sonnet-5-5"] == "0.302040"  # the two dates, each at its own cache-read price
    assert by_model["claude-sonnet-4-5-20250929"] == "0.981000"
    by_day = {g["day"]: g["usd"] for g in cost_json(project, "--by", "day", "--since", "2026-11-02")["groups"]}
    assert by_day == {"2026-11-02": "0.073800", "2026-11-03": None}
    total = cost_json(project)["total"]
    assert total["usd"] is None and total["priced_usd"] == "1.736840"
    # Every surface says unpriced, not $0.
    table = cli(project, "cost", "--by", "session")
    assert "unpriced" in table.stdout and "claude-mystery-9" in table.stderr
    sessions = json.loads(cli(project, "sessions", "--json").stdout)
    assert {s["session_id"]: s["cost_usd"] for s in sessions} == {S1: 1.73684, S2: None}
    status = json.loads(cli(project, "status", "--json").stdout)
    assert status["cost_usd"] is None and status["unpriced_models"] == ["claude-mystery-9"]


def test_prices_overridden_and_extended_in_the_configuration(project):
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_text(json.dumps({"prices": {
        "claude-mystery-9": {"input": 1, "output": 2, "source": "our contract"},
        "claude-opus-4-8": {"output": 50}}}))
    stop(project, S1)
    stop(project, S2)
    by_session = {g["session"]: g["usd"] for g in cost_json(project, "--by", "session")["groups"]}
    assert by_session[S2] == "0.003000"
    # msg_A's output at 50 instead of 25: +500 x 25 / 1M = +$0.0125; the other shipped rates kept.
    assert by_session[S1] == "1.749340"


def test_subagent_tokens_read_at_subagent_stop(project):
    payload = load_fixture("SubagentStop__general-purpose", project)
    transcript = project / "agent.jsonl"
    shutil.copy(COST / f"{S2}.jsonl", transcript)
    payload.update(agent_transcript_path=str(transcript))
    proc = run_hook("SubagentStop", payload, project)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    found = rows(project, "SELECT agent_id, source, input_tokens FROM transcript_usage")
    assert found == [{"agent_id": payload["agent_id"], "source": "hook", "input_tokens": 1000}]
    by_agent = {g["agent"]: g for g in cost_json(project, "--by", "agent")["groups"]}
    assert by_agent[payload["agent_id"]]["unpriced_models"] == {"claude-mystery-9": 1}
