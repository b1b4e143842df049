"""Configuration that fails safe and loud: through the real hooks, no value crashes a handler,
a deny policy holds whatever else is odd, an invalid value falls back alone (a broken file
whole), the hook says so once per session, and doctor fails naming the key and the value."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, load_fixture, rows, run_hook
from test_claims import answer, start, write_call

EXTREMES = ["1e308", "1e400", "-1e400", "NaN", "Infinity", "-5", "true", "null", '"600"', "[]", "{}",
            "123456789012345678901234567890123456789", '"' + "x" * 5000 + '"', "[[[[[[[[1]]]]]]]]"]


def settings(project, text: str) -> None:
    (project / ".claude").mkdir(exist_ok=True)
    (project / ".claude" / "hookledger.json").write_text(text)


def doctor(project) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE")}
    proc = subprocess.run([sys.executable, "-m", "hookledger", "doctor", "--project", str(project), "--no-sample",
                           "--json"], capture_output=True, text=True, env={**env, "PYTHONPATH": str(ROOT / "lib")},
                          timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def config_check(project) -> dict:
    [check] = [c for c in doctor(project)["checks"] if c["name"] == "configuration"]
    return check


@pytest.mark.parametrize("value", EXTREMES)
def test_deny_holds_whatever_the_other_values(project, value):
    keys = ["claims.window_seconds", "agents.stale_seconds", "errors.research_after", "brief.max_chars",
            "audit.summary_max_chars", "retention.days", "retention.max_mb", "retention.every_hours",
            "gate.max_blocks", "gate.timeout_seconds"]
    data: dict = {"claims": {"policy": "deny"}}
    for key in keys:
        section, name = key.split(".")
        data.setdefault(section, {})[name] = "@@"
    settings(project, json.dumps(data).replace('"@@"', value))
    start(project, "agentA")
    start(project, "agentB")
    first = run_hook("PreToolUse", write_call(project, "agentA"), project)
    assert answer(first) is None
    out = answer(run_hook("PreToolUse", write_call(project, "agentB"), project))
    assert out["permissionDecision"] == "deny"
    errors = rows(project, "SELECT event_type, outcome, error FROM hook_events WHERE outcome IN ('error', 'bad_input')")
    assert errors == []
    # said once in this session, on the first run that met the problem
    lines = [p.stderr.decode() for p in (first,)]
    assert all(len(line.strip().splitlines()) <= 1 for line in lines)


def test_gate_blocks_when_max_blocks_overflows(project):
    settings(project, '{"gate": {"mode": "checks", "commands": ["false"], "max_blocks": 1e400,'
                      ' "timeout_seconds": 1e308}}')
    payload = load_fixture("TaskCreated__default", project)
    assert run_hook("TaskCreated", payload, project).returncode == 0
    proc = run_hook("TaskCompleted", load_fixture("TaskCompleted__default", project), project, timeout=120)
    assert proc.returncode == 2, proc.stderr  # the failing check is enforced
    [v] = rows(project, "SELECT decision, verdict_json FROM llm_verdicts")
    notes = json.loads(v["verdict_json"])["config_notes"]
    assert v["decision"] == "block" and any(n.startswith("gate.max_blocks = Infinity") for n in notes)


def test_invalid_value_falls_back_alone_and_is_reported_once_per_session(project):
    settings(project, '{"claims": {"policy": "deny", "window_seconds": 1e308}, "errors": {"research_after": "three"}}')
    first = run_hook("Stop", load_fixture("Stop__default", project), project)
    second = run_hook("Stop", load_fixture("Stop__default", project), project)
    line = first.stderr.decode()
    assert first.returncode == 0 and len(line.strip().splitlines()) == 1
    assert "claims.window_seconds = 1e+308" in line and "hookledger doctor" in line and "1 more" in line
    assert second.returncode == 0 and second.stderr == b""
    other = {**load_fixture("Stop__default", project), "session_id": "another-session"}
    assert b"claims.window_seconds" in run_hook("Stop", other, project).stderr  # a new session is told again
    check = config_check(project)
    assert check["status"] == "fail"
    assert "claims.window_seconds = 1e+308" in check["detail"] and 'errors.research_after = "three"' in check["detail"]
    assert "hookledger.json" in check["fix"]


@pytest.mark.parametrize("text,why", [
    ('{"claims": {"policy": "deny",}}', "not valid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"claims": ' * 100 + "1" + "}" * 100, "nests deeper"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ("\xff\xfe", "not valid JSON"),
])
def test_broken_file_falls_back_whole_loudly(project, text, why):
    (project / ".claude").mkdir()
    (project / ".claude" / "hookledger.json").write_bytes(text.encode("utf-8", "surrogateescape")
                                                          if not text.startswith("\xff") else b"\xff\xfe{")
    proc = run_hook("SessionStart", load_fixture("SessionStart__startup", project), project)
    assert proc.returncode == 0 and why in proc.stderr.decode()
    assert run_hook("Stop", load_fixture("Stop__default", project), project).stderr == b""
    check = config_check(project)
    assert check["status"] == "fail" and why in check["detail"]


def test_unknown_key_is_a_warning_not_silence(project):
    settings(project, '{"claim": {"policy": "deny"}}')  # a typo: the deny would quietly not apply
    proc = run_hook("Stop", load_fixture("Stop__default", project), project)
    assert b"claim: unknown setting" in proc.stderr
    check = config_check(project)
    assert check["status"] == "warn" and "claim" in check["detail"]


def test_fifo_as_settings_file_does_not_block(project):
    (project / ".claude").mkdir()
    os.mkfifo(project / ".claude" / "hookledger.json")
    proc = run_hook("Stop", load_fixture("Stop__default", project), project, timeout=20)
    assert proc.returncode == 0 and b"FIFO" in proc.stderr


def test_every_default_has_a_rule():
    """New settings need a rule in config.SETTINGS (see the module's docstring)."""
    from hookledger.hotpath import config

    # a section's keys, or a top-level setting that is itself a free-form object (prices)
    dotted = {f"{s}.{k}" for s, keys in config.DEFAULTS.items() for k in keys} | {
        s for s, keys in config.DEFAULTS.items() if keys == {}}
    assert dotted - set(config.SETTINGS) == set()
    for key, rule in config.SETTINGS.items():
        default = config.get(config.DEFAULTS, key)
        assert rule.check(default) == default, key
