"""The pure helpers: error classification and signatures, the brief builder, the transcript reader."""

from __future__ import annotations

import json

import pytest

from hookledger.knowledge.brief import build, has_substance
from hookledger.knowledge.error_kinds import (categorize, command_category, command_kind, file_involved, first_lines,
                                              same_thing, signature, telling_line)
from hookledger.knowledge.script_names import kind, words_of
from hookledger.knowledge.transcript import read_usage


@pytest.mark.parametrize("command,expected", [
    ("cd app && uv run python -m pytest -q tests/test_a.py 2>&1 | tail -20", "pytest tests/test_a.py"),
    ("pytest tests/test_a.py -x", "pytest tests/test_a.py"),
    ("PYTHONPATH=lib .venv/bin/python -m pytest tests/test_a.py", "pytest tests/test_a.py"),
    ("npx eslint --fix src", "eslint src --fix"),
    ("ls /nonexistent", "ls /nonexistent"),
])
def test_signature_normalises_how_a_check_is_run(command, expected):
    assert signature(command) == expected


@pytest.mark.parametrize("command,output,category", [
    ("pytest", "", "test"), ("npm test", "", "test"), ("go test ./...", "", "test"), ("cargo test", "", "test"),
    ("mypy src", "", "type"), ("npx tsc --noEmit", "", "type"), ("pnpm run typecheck", "", "type"),
    ("ruff check .", "", "lint"), ("npm run lint", "", "lint"), ("cargo clippy", "", "lint"),
    ("make", "", "build"), ("pip install foo", "", "build"), ("cargo build", "", "build"),
    ("python app.py", "Traceback (most recent call last):\nKeyError: 'x'", "runtime"),
    ("./check.sh", "src/a.ts(3,5): error TS2322: Type 'string' is not assignable", "type"),
    ("./check.sh", "FAILED tests/test_a.py::test_x - assert 1 == 2", "test"),
    ("./check.sh", "src/a.py:1:1: F401 'os' imported but unused", "lint"),
    ("./build.sh", "make: *** [all] Error 1", "build"),
])
def test_category_from_command_then_output(command, output, category):
    assert categorize(command, output) == category


@pytest.mark.parametrize("command,expected", [
    # the project's own scripts, by the words of their names
    ("sh run-tests.sh", ("test", True)), ("bash scripts/test.sh", ("test", True)), ("./run_tests.py", ("test", True)),
    ("python3 tests/test_api.py", ("test", True)), ("./scripts/typecheck.sh", ("type", True)),
    ("sh scripts/check-types.sh", ("type", True)), ("./lint.sh --fix", ("lint", True)), ("node build.mjs", ("build", True)),
    ("bin/check", ("test", False)), ("sh ci.sh", ("test", False)), ("scripts/runSpecs", ("test", True)),
    ("python manage.py test", ("test", True)), ("pdm run lint", ("lint", True)), ("hatch run test", ("test", True)),
    ("bash tests/run.sh", ("test", True)), ("./ci/run", ("test", False)), ("php artisan test", ("test", True)),
    ("node test", ("test", True)), ("python3 -c 'print(1)'", (None, False)),
    # package.json scripts
    ("npm run test:unit", ("test", True)), ("npm test", ("test", True)), ("yarn lint", ("lint", True)),
    ("pnpm run check:types", ("type", True)), ("bun run build", ("build", True)), ("npm ci", ("build", True)),
    ("npm run e2e", ("test", True)), ("npm run verify", ("test", False)),
    # Makefile / justfile / other task runners' targets
    ("make test", ("test", True)), ("make -C backend lint", ("lint", True)), ("make -j4 typecheck", ("type", True)),
    ("make check", ("test", False)), ("make", ("build", True)), ("make CC=clang all", ("build", True)),
    ("just test", ("test", True)), ("just --justfile ci.just lint", ("lint", True)), ("task build", ("build", True)),
    ("mise run test", ("test", True)), ("cargo make test", ("test", True)), ("composer run-script test", ("test", True)),
    ("tox -e lint", ("lint", True)), ("tox", ("test", True)), ("rake spec", ("test", True)),
    ("node --test", ("test", True)),
    # not a check: the shell's `test`, a plain program, an app script
    ("test -f app.py", (None, False)), ("[ -d build ]", (None, False)), ("python app.py", (None, False)),
    ("sh deploy.sh", (None, False)), ("just", (None, False)),
])
def test_command_kind_from_project_scripts_and_targets(command, expected):
    assert command_kind(command) == expected


@pytest.mark.parametrize("output", [
    "running 3 tests\nFAIL test_app: expected 2, got 3",               # a project's own runner
    "--- FAIL: TestAdd (0.00s)\nFAIL\nFAIL\texample.com/calc\t0.01s",  # go test
    " FAIL  src/app.test.js\n  adds\n", "Tests:       1 failed, 4 passed, 5 total",  # jest
    "TAP version 13\nok 1 - parses\nnot ok 2 - adds\n1..2",               # TAP (node --test, bats, prove)
    "  4 passing (12ms)\n  1 failing\n", "FAIL: test_add (test_calc.TestCalc)\n----\nFAILED (failures=1)",
    "5 examples, 2 failures", "3 runs, 3 assertions, 1 failures, 0 errors, 0 skips",
    "FAILURES!\nTests: 4, Assertions: 6, Failures: 1.", "50% tests passed, 1 tests failed out of 2",
    "test result: FAILED. 1 passed; 1 failed", "== 1 failed, 3 passed in 0.2s ==",
])
def test_test_runner_outputs_say_test(output):
    assert categorize("sh deploy.sh", output) == "test"


def test_strong_names_beat_the_output_weak_names_do_not():
    lint_out = "src/a.py:1:1: F401 'os' imported but unused"
    assert categorize("sh scripts/test.sh", lint_out) == "test"
    assert categorize("bin/check", lint_out) == "lint"
    assert categorize("bin/check", "Segmentation fault") == "test"
    assert categorize("sh deploy.sh", "Segmentation fault") == "runtime"
    assert command_category("bin/check") == "test"


def test_script_name_words():
    assert words_of("scripts/runTests.sh") == ["run", "tests"]
    assert words_of("test:unit") == ["test", "unit"]
    assert kind("type_check") == ("type", True) and kind("lint-and-test") == ("lint", True)
    assert kind("build-and-test") == ("test", True) and kind("deploy") == (None, False)


def test_telling_line_picks_the_failure():
    assert telling_line("Exit code 1\nrunning 1 test\nFAIL test_app: expected fixed") == "FAIL test_app: expected fixed"
    traceback = 'Traceback (most recent call last):\n  File "a.py", line 1\nKeyError: \'x\''
    assert telling_line(traceback) == "KeyError: 'x'"
    assert telling_line("just some text\nmore") == "just some text"
    assert telling_line("") == "" and len(telling_line("x" * 900)) == 300


def test_file_involved_prefers_project_files_over_libraries():
    out = ('Traceback (most recent call last):\n  File "/p/src/app.py", line 3, in <module>\n'
           '  File "/usr/lib/python3.11/site-packages/x.py", line 9\nKeyError')
    assert file_involved("python -m app", out, "/p", "/p") == "src/app.py"
    assert file_involved("pytest", "FAILED tests/test_a.py::test_x - boom", "/p", "/p") == "tests/test_a.py"
    assert file_involved("mypy src/b.py", None, "/p", "/p/sub") == "sub/src/b.py"
    assert file_involved("ls /nope", "ls: cannot access '/nope'", "/p", "/p") is None


def test_same_thing_rules():
    err = ("pytest tests/test_a.py", "test", "tests/test_a.py")
    assert same_thing(("pytest tests/test_a.py", "test", "tests/test_a.py"), err)
    assert same_thing(("pytest", "test", None), err)  # the whole suite passed
    assert same_thing(("pytest tests/test_a.py::test_x", "test", "tests/test_a.py"), err)  # same file, same kind
    assert not same_thing(("pytest tests/test_b.py", "test", "tests/test_b.py"), err)
    assert not same_thing(("ruff check .", "lint", None), err)
    assert not same_thing(("echo ok", None, None), err)


def test_first_lines_drops_exit_code_and_trims_the_middle():
    assert first_lines("Exit code 2\nls: nope") == "ls: nope"
    long = "Exit code 1\n" + "head " * 200 + "TAIL"
    trimmed = first_lines(long, 300)
    assert len(trimmed) <= 310 and trimmed.startswith("head") and trimmed.endswith("TAIL") and "[...]" in trimmed


SNAP = {
    "session_id": "abcdef12-0000", "taken_at": "2026-01-01 00:00:00.000",
    "unresolved_errors": [{"command": "pytest tests/test_a.py", "category": "test", "file_path": "tests/test_a.py",
                           "attempts": 4, "resolution": "escalated_research", "message": "assert 1 == 2",
                           "last_at": "2026-01-01 00:00:00.000"}],
    "failed_paths": [{"approach": "Pin pytest<8", "reason": "plugin broken", "file_path": None}],
    "tasks": [{"task_id": "2", "subject": "Fix the adder", "status": "in_progress"}],
    "live_agents": [], "open_claims": [], "files_touched": ["src/a.py"],
    "metrics": {"tool_calls": 9, "failures": 4, "compactions": 1},
    "project": {"languages": ["python"], "test_command": "uv run pytest"},
}


def test_brief_orders_facts_by_importance():
    text = build(SNAP, "compact", 8000)
    order = [text.index(s) for s in ("continuity brief", "`pytest tests/test_a.py` failed 4 times", "Pin pytest<8",
                                     "#2 [in_progress] Fix the adder", "src/a.py", "9 tool calls", "tests `uv run pytest`")]
    assert order == sorted(order)
    assert "escalated for research" in text and "after the context compaction" in text
    assert has_substance(SNAP) and not has_substance({"files_touched": ["a"], "metrics": {"tool_calls": 3}})


def test_brief_size_cap_keeps_whole_lines_and_drops_duplicates():
    snap = dict(SNAP, unresolved_errors=SNAP["unresolved_errors"] * 3 + [
        dict(SNAP["unresolved_errors"][0], command=f"cmd {n}", message="m" * 600) for n in range(60)])
    for limit in (300, 2000, 8000):
        text = build(snap, "compact", limit)
        assert len(text) <= limit
        lines = text.splitlines()
        assert len(lines) == len(set(lines))
    assert build(snap, "compact", 8000).count("`pytest tests/test_a.py` failed") == 1


def test_read_usage_keys_partial_lines_and_missing_files(tmp_path):
    path = tmp_path / "t.jsonl"
    line = lambda mid, out: json.dumps({"type": "assistant", "requestId": "r1", "message": {  # noqa: E731
        "id": mid, "model": "m", "usage": {"input_tokens": 1, "output_tokens": out}}})
    path.write_text(line("a", 1) + "\n" + line("a", 9) + "\n" + json.dumps(
        {"type": "system", "subtype": "compact_boundary"}) + "\n" + line("b", 2)[:10])
    chunk = read_usage(str(path), 0, 1 << 20)
    assert chunk.usage == {"a:r1": (1, 9, 0, 0, 0, 0)} and chunk.boundaries == 1  # + the 5m/1h cache-write split
    assert chunk.offset == len(path.read_bytes()) - 10  # the partial line is not consumed
    assert read_usage(str(tmp_path / "missing.jsonl"), 0, 100) is None
    assert read_usage(None, 0, 100) is None
    assert read_usage(str(path), 10 ** 9, 1 << 20).usage["a:r1"] == (1, 9, 0, 0, 0, 0)  # shrunk file: from the start


def test_flood_of_errors_leaves_room_for_failed_paths_and_tasks():
    errors = [dict(SNAP["unresolved_errors"][0], command=f"cmd {n}", message="m" * 600) for n in range(40)]
    text = build(dict(SNAP, unresolved_errors=errors), "compact", 8000)
    assert len(text) <= 8000 and "Pin pytest<8" in text and "Fix the adder" in text
    assert text.count("failed 4 times") >= 8
