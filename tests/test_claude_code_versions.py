"""Claude Code versions: parsing, the hooks' AI_AGENT variable, a transcript's last version, and
the versions the e2e suite runs and has passed with."""

from __future__ import annotations

import json
import re

from conftest import ROOT

from hookledger.knowledge import claude_code
from hookledger.knowledge.transcript import last_version


def test_parse_and_compare():
    assert claude_code.parse("2.1.197") == (2, 1, 197)
    assert claude_code.parse("2.1.197-beta") is None and claude_code.parse(None) is None
    assert claude_code.newer("2.1.332", "2.1.197") and claude_code.newer("2.10.0", "2.9.999")
    assert not claude_code.newer("2.1.197", "2.1.197") and not claude_code.newer("junk", "2.1.197")


def test_version_from_the_agent_variable():
    assert claude_code.from_agent_env("claude-code_2-1-197_harness") == "2.1.197"
    assert claude_code.from_agent_env("claude-code_2-1-332") == "2.1.332"
    assert claude_code.from_agent_env("cursor_1-2-3") is None and claude_code.from_agent_env(None) is None
    assert claude_code.from_agent_env("claude-code_latest") is None


def test_last_version_of_a_transcript(tmp_path):
    path = tmp_path / "t.jsonl"
    lines = [{"type": "user", "version": "2.1.196"}, {"type": "assistant", "version": "2.1.197"},
             {"type": "last-prompt"}]
    path.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"type": "assistant", "vers')  # a line being written
    assert last_version(str(path)) == "2.1.197"
    assert last_version(str(path), tail_bytes=40) is None  # only the partial and versionless lines
    assert last_version(str(tmp_path / "missing.jsonl")) is None and last_version(None) is None


def test_pinned_and_newest_passed_are_versions_in_order():
    assert claude_code.parse(claude_code.PINNED) and claude_code.parse(claude_code.NEWEST_PASSED)
    assert not claude_code.newer(claude_code.PINNED, claude_code.NEWEST_PASSED)
    script = (ROOT / "scripts" / "ensure-claude-code.sh").read_text()
    source = (ROOT / "lib" / "hookledger" / "knowledge" / "claude_code.py").read_text()
    # the install script reads PINNED from the module with sed: the line must keep this shape
    assert "knowledge/claude_code.py" in script
    assert re.search(r'(?m)^PINNED = "[\d.]+"$', source) and re.search(r'(?m)^NEWEST_PASSED = "[\d.]+"$', source)
