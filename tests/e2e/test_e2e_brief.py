"""`hookledger brief` against a real Claude Code session: the text it prints is, byte for byte,
the SessionStart context Claude Code put before the model after the compaction."""

from __future__ import annotations

from e2e.project_files import RUN_TESTS
from e2e.standin_api import text, tool

INJECTED = "SessionStart hook additional context: "  # how Claude Code puts it before the model


def run_tests() -> dict:
    return tool("Bash", {"command": "sh run-tests.sh", "description": "Run the tests"})


def test_brief_is_what_claude_code_injected(e2e):
    e2e.write("run-tests.sh", RUN_TESTS)
    e2e.api.script("fix", [run_tests()], [run_tests()], [run_tests()], [text("Still failing.")],
                   [text("Carrying on.")])
    e2e.run("Make the tests pass [[e2e:fix]]")
    e2e.run("/compact", "--continue")
    e2e.run("Carry on [[e2e:fix]]", "--continue")
    compaction = e2e.api.of_kind("compact")[0]
    after = next(r for r in e2e.api.requests[compaction.index + 1:] if r.kind == "turn")
    shown = e2e.hookledger("brief", "--kind", "compact")
    assert shown.returncode == 0, shown.stderr
    brief = shown.stdout
    assert brief.startswith("hookledger continuity brief") and "failed 3 times" in brief
    assert f"{INJECTED}{brief}\n" in after.context_text()
    assert "exactly as sent" in shown.stderr and "SessionStart compact" in shown.stderr
