"""Repeated failures, escalation and a failed path; a manual /compact and an automatic
compaction; the continuity brief in the first model request after each; then the fix."""

from __future__ import annotations

import re

from e2e.project_files import RUN_TESTS
from e2e.standin_api import TooLong, text, tool

COMPACT_BRIEF = "hookledger continuity brief: facts recorded in the session ledger after the context compaction"


def run_tests() -> dict:
    return tool("Bash", {"command": "sh run-tests.sh", "description": "Run the tests"})


def first_turn_after(api, request) -> object:
    return next(r for r in api.requests[request.index + 1:] if r.kind == "turn")


def briefs_as_of(req) -> list[str]:
    """The `as of` times of the compaction briefs the model read in this request."""
    return re.findall(re.escape(COMPACT_BRIEF) + r" of this session \(session \w+, as of ([\d: .-]+)\)",
                      req.context_text())


def test_escalation_compactions_and_fix(e2e):
    e2e.write("run-tests.sh", RUN_TESTS)
    e2e.api.script(
        "fix",
        # run 1: three failures of the same check
        [run_tests()], [run_tests()], [run_tests()], [text("The tests keep failing; I will look into it.")],
        # run 3 (after the manual /compact): the first turn overflows, Claude Code compacts and retries
        TooLong(),
        [tool("Write", {"file_path": e2e.path("app.txt"), "content": "fixed\n"})],
        [run_tests()],
        [text("The tests pass now.")],
    )
    first = e2e.run("Make the tests pass [[e2e:fix]]")
    sid = first.session_id

    # three attempts of one check, the third escalated with a failed path recorded
    errors = e2e.rows("SELECT * FROM error_log ORDER BY id")
    assert [e["attempt_number"] for e in errors] == [1, 2, 3]
    assert {e["signature"] for e in errors} == {"sh run-tests.sh"}
    assert {e["error_category"] for e in errors} == {"test"}
    assert [e["escalation"] for e in errors] == [None, None, "escalated_research"]
    assert all("FAIL test_app: app.txt does not say fixed" in e["error_message"] for e in errors)
    paths = e2e.rows("SELECT * FROM failed_paths")
    assert [(p["approach"], p["still_relevant"], p["signature"]) for p in paths] == \
        [("Running `sh run-tests.sh` again", 1, "sh run-tests.sh")]
    # the escalation reached the model with the third failure's result
    turns = e2e.api.turns("fix")
    third = turns[2].answer[0]["id"]
    said = turns[3].context_after(third)
    assert "hookledger: `sh run-tests.sh` has failed 3 times in this session (test error" in said
    assert "Running `sh run-tests.sh` again" in said

    # run 2: manual compaction
    e2e.run("/compact", "--continue")
    manual = e2e.api.of_kind("compact")
    assert len(manual) == 1 and manual[0].conversation == "fix"
    compactions = [(e["event_type"], e["payload"].get("trigger") or e["payload"].get("source"))
                   for e in e2e.hook_events("event_type IN ('PreCompact', 'PostCompact', 'SessionStart')")]
    assert ("PreCompact", "manual") in compactions and ("PostCompact", "manual") in compactions
    assert ("SessionStart", "compact") in compactions

    # run 3: the first request after the manual compaction carries the brief; it overflows,
    # Claude Code compacts by itself, and the retried request carries a brief taken after that
    e2e.run("Carry on [[e2e:fix]]", "--continue")
    manual_brief, auto_brief = [s["timestamp"] for s in e2e.rows(
        "SELECT timestamp FROM context_snapshots WHERE snapshot_type = 'post_compact' ORDER BY id")]
    after_manual = first_turn_after(e2e.api, manual[0])
    assert after_manual.answered == "too_long"
    assert manual_brief in briefs_as_of(after_manual)
    said = after_manual.context_text()
    assert "`sh run-tests.sh` failed 3 times (test error" in said
    assert "Running `sh run-tests.sh` again" in said
    auto = e2e.api.of_kind("compact")[1]
    assert auto.conversation == "fix" and auto.index > after_manual.index
    after_auto = first_turn_after(e2e.api, auto)
    assert auto_brief in briefs_as_of(after_auto)
    assert "`sh run-tests.sh` failed 3 times (test error" in after_auto.context_text()
    triggers = [e["payload"].get("trigger") for e in e2e.hook_events("event_type = 'PreCompact'")]
    assert triggers == ["manual", "auto"]
    snapshots = [s["snapshot_type"] for s in e2e.rows("SELECT snapshot_type FROM context_snapshots ORDER BY id")]
    assert snapshots.count("pre_compact") == 2 and snapshots.count("post_compact") == 2

    # the fix: the same check passes, every attempt is fixed and the failed path retired
    assert (e2e.project / "app.txt").read_text() == "fixed\n"
    errors = e2e.rows("SELECT resolution, resolved_at FROM error_log")
    assert {e["resolution"] for e in errors} == {"auto_fixed"} and all(e["resolved_at"] for e in errors)
    assert [p["still_relevant"] for p in e2e.rows("SELECT still_relevant FROM failed_paths")] == [0]
    # one session all along: compaction and --continue keep the session id
    assert {r.session_id for r in e2e.runs} == {sid}
    assert [s["session_id"] for s in e2e.rows("SELECT session_id FROM sessions")] == [sid]
    e2e.assert_tool_calls_recorded("fix")
