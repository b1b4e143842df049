"""What a failed tool call was: its category, its signature, the file involved.

Pure functions over the command line and the error text (no database, no filesystem).
`signature` decides when two failures are "the same thing" (attempts are counted per
signature, and a later success of the same signature fixes the error). Hot path: stdlib only,
imported only when a tool call failed or a Bash command succeeded.
"""

from __future__ import annotations

import re
from functools import lru_cache  # already loaded by re

from hookledger.knowledge.project_paths import normalise

CATEGORIES = ("lint", "type", "test", "build", "runtime")

# Tokens that only wrap the real program: `uv run pytest` is `pytest`.
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pdm", "run"), ("pipenv", "run"), ("hatch", "run"),
            ("npx",), ("bunx",), ("pnpm", "exec"), ("yarn", "exec"), ("bundle", "exec"), ("sudo",),
            ("env",), ("time",), ("nohup",), ("command",)}
_PYTHON = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
_ENV_ASSIGN = re.compile(r"^[A-Za-z_]\w*=")
# Output filters and redirections change what is shown, not what runs.
_FILTERS = {"head", "tail", "grep", "less", "more", "cat", "tee", "sort", "uniq", "wc", "cut", "awk", "sed"}
_REDIRECT = re.compile(r"^(?:\d?>>?&?\d*|&>>?|<)(?:\S*)$")
# Flags that only change verbosity or the first failure shown.
_NOISE_FLAGS = {"-q", "-qq", "-v", "-vv", "-vvv", "-s", "--quiet", "--verbose", "-x", "--color=yes",
                "--color=no", "--no-header", "-rA", "-ra", "--tb=short", "--tb=line", "--tb=no", "--tb=long"}

# Programs whose name says what they check, and (program, subcommand) pairs that do.
_PROGRAMS = {
    "test": {"pytest", "py.test", "unittest", "nose2", "tox", "nox", "jest", "vitest", "mocha", "ava", "karma",
             "rspec", "phpunit", "ctest"},
    "type": {"mypy", "pyright", "basedpyright", "pytype", "pyre", "tsc", "vue-tsc", "flow"},
    "lint": {"ruff", "flake8", "pylint", "pycodestyle", "pydocstyle", "pyflakes", "black", "isort", "eslint", "biome",
             "prettier", "stylelint", "shellcheck", "hadolint", "golangci-lint", "golint", "staticcheck", "gofmt",
             "rubocop", "markdownlint", "yamllint", "pre-commit"},
    "build": {"build", "make", "cmake", "ninja", "gcc", "g++", "clang", "javac", "mvn", "gradle", "gradlew", "webpack",
              "rollup", "esbuild"},
}
_SUBCOMMANDS = {
    ("go", "test"): "test", ("cargo", "test"): "test", ("cargo", "nextest"): "test", ("deno", "test"): "test",
    ("mix", "test"): "test", ("dotnet", "test"): "test", ("make", "test"): "test", ("make", "check"): "test",
    ("mvn", "test"): "test", ("gradle", "test"): "test", ("gradlew", "test"): "test", ("ty", "check"): "type",
    ("cargo", "clippy"): "lint", ("cargo", "fmt"): "lint", ("make", "lint"): "lint", ("go", "vet"): "build",
    ("cargo", "build"): "build", ("cargo", "check"): "build", ("cargo", "install"): "build", ("go", "build"): "build",
    ("go", "install"): "build", ("pip", "install"): "build", ("pip3", "install"): "build", ("uv", "sync"): "build",
    ("uv", "pip"): "build", ("uv", "add"): "build", ("uv", "lock"): "build", ("poetry", "install"): "build",
    ("poetry", "lock"): "build", ("poetry", "add"): "build", ("python", "setup.py"): "build",
    ("docker", "build"): "build", ("dotnet", "build"): "build", ("vite", "build"): "build",
}
_PACKAGE_MANAGERS = {"npm", "yarn", "pnpm", "bun"}
# package.json script names, by their first word (`test:unit`, `lint-fix`, `build:prod`).
_SCRIPTS = {"test": "test", "typecheck": "type", "type-check": "type", "types": "type", "tsc": "type",
            "lint": "lint", "format": "lint", "fmt": "lint", "build": "build", "install": "build", "ci": "build",
            "i": "build"}
# Compiled on first use only (a few ms): most calls reach here only for a failure.
_OUTPUT_SOURCES = (
    ("type", r"error TS\d{3,5}|: error: .*\[[a-z][a-z-]+\]$|Incompatible types|"
             r"is not assignable to|reportGeneralTypeIssues|Found \d+ errors? in \d+ files?"),
    ("test", r"^(?:FAILED |ERROR )\S+::|\d+ failed\b|AssertionError|Tests?:\s+\d+ failed|"
             r"^--- FAIL:|test result: FAILED|FAIL\s+\S+\.(?:test|spec)\."),
    ("lint", r"^\S+:\d+:\d+: [A-Z]{1,3}\d{2,4}\b|\d+ problems? \(\d+ errors?|would reformat|"
             r"Found \d+ errors?\.\s*$|\[\*\] \d+ fixable"),
    ("build", r"^error\[E\d{4}\]|make: \*\*\*|npm ERR!|error: could not compile|BUILD FAILED|"
              r"compilation terminated|Could not find a version that satisfies|"
              r"No matching distribution|ResolutionImpossible"),
)
# Where an error output names a file: tracebacks, pytest node ids, TypeScript's path(line,col), path:line[:col].
_FILE_SOURCES = (
    r'File "([^"]+)", line \d+',
    r"^(?:FAILED |ERROR )?([\w./\\-]+\.\w{1,6})::",
    r"([\w./\\-]+\.\w{1,6})\(\d+,\d+\): error",
    r"(?:^|\s)([\w./\\-]+\.\w{1,6}):\d+(?::\d+)?:?",
)


@lru_cache(maxsize=None)
def _output_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((category, re.compile(source, re.M)) for category, source in _OUTPUT_SOURCES)


@lru_cache(maxsize=None)
def _file_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(source, re.M) for source in _FILE_SOURCES)


_FILE_ARG = re.compile(r"^[\w./\\-]+\.\w{1,6}(?:::\S+)?$")
_NOT_CODE = ("site-packages/", "dist-packages/", "/lib/python", "node_modules/", "<frozen", "<string>")


def _words(segment: str) -> list[str]:
    return segment.split()


def _strip_runner(words: list[str]) -> list[str]:
    """Drop env assignments, wrappers (`uv run`, `npx`) and `python -m`."""
    changed = True
    while words and changed:
        changed = False
        while words and _ENV_ASSIGN.match(words[0]):
            words, changed = words[1:], True
        for runner in _RUNNERS:
            if tuple(words[:len(runner)]) == runner:
                words, changed = words[len(runner):], True
                break
        if words and _PYTHON.match(words[0]):
            words = ["python"] + words[1:]
            if len(words) > 2 and words[1] == "-m":
                words, changed = words[2:], True
    if words and "/" in words[0] and not words[0].startswith("."):
        words = [words[0].rsplit("/", 1)[1]] + words[1:]  # /usr/bin/make -> make
    return words


def _main_segment(command: str) -> str:
    """The part of a command line that matters: after `cd X &&`, before output filters."""
    segments = [s.strip() for s in re.split(r"\s*(?:&&|;|\n)\s*", command.strip()) if s.strip()]
    segments = [s for s in segments if not re.match(r"^(?:cd|pushd|source|\.|export|set)\b", s)] or segments
    main = segments[-1] if segments else ""
    parts = [p.strip() for p in main.split("|")]
    kept = [parts[0]] + [p for p in parts[1:] if p and p.split()[0] not in _FILTERS]
    return " | ".join(kept)


def signature(command: str) -> str:
    """A normalised command: the same check run slightly differently has one signature.

    `cd app && uv run python -m pytest -q tests/test_a.py 2>&1 | tail -20` -> `pytest tests/test_a.py`.
    """
    if not isinstance(command, str):
        return ""
    words = [w for w in _strip_runner(_words(_main_segment(command)))
             if not _REDIRECT.match(w) and w not in _NOISE_FLAGS and w != "2>&1"]
    if not words:
        return " ".join(command.split())[:300]
    options = sorted(w for w in words[1:] if w.startswith("-"))
    operands = [w for w in words[1:] if not w.startswith("-")]
    return " ".join([words[0], *operands, *options])[:300]


def command_category(command: str) -> str | None:
    """The kind of check a command line runs, when evident from the command alone."""
    if not isinstance(command, str) or not command.strip():
        return None
    words = _strip_runner(_words(_main_segment(command)))
    if not words:
        return None
    program = words[0].lstrip("./")
    if program in _PACKAGE_MANAGERS and len(words) > 1:
        script = words[2] if words[1] in ("run", "run-script") and len(words) > 2 else words[1]
        return _SCRIPTS.get(re.split(r"[:_-]", script, maxsplit=1)[0]) or _SCRIPTS.get(script)
    sub = next((w for w in words[1:] if not w.startswith("-")), "")
    found = _SUBCOMMANDS.get((program, sub))
    if found:
        return found
    return next((category for category, names in _PROGRAMS.items() if program in names), None)


def categorize(command: str | None, output: str | None) -> str:
    """lint, type, test, build or runtime: from the command, else from the error text."""
    found = command_category(command or "")
    if found:
        return found
    text = output or ""
    for category, pattern in _output_patterns():
        if pattern.search(text):
            return category
    return "runtime"


def _candidates(command: str | None, output: str | None) -> list[str]:
    found: list[str] = []
    text = output or ""
    if text:
        tracebacks, *others = _file_patterns()
        found.extend(reversed(tracebacks.findall(text)))  # the innermost frame first
        for pattern in others:
            found.extend(pattern.findall(text))
    for word in _words(_main_segment(command or ""))[1:]:
        if _FILE_ARG.match(word):
            found.append(word.split("::", 1)[0])
    return found


def file_involved(command: str | None, output: str | None, project_dir: str, cwd: str | None = None) -> str | None:
    """The project file an error is about: from its output (traceback, path:line), else the
    command's file arguments. Paths inside the project are preferred, libraries skipped."""
    outside: str | None = None
    for raw in _candidates(command, output):
        if any(marker in raw for marker in _NOT_CODE):
            continue
        path = normalise(raw, project_dir, cwd)
        if not path:
            continue
        if not path.startswith("/"):
            return path
        outside = outside or path
    return outside


def first_lines(text: str | None, limit: int = 600) -> str:
    """The error message as stored: `Exit code N` dropped, trimmed to `limit` characters."""
    if not isinstance(text, str):
        return ""
    body = re.sub(r"^Exit code \d+\s*\n?", "", text.strip())
    body = body.strip() or text.strip()
    if len(body) <= limit:
        return body
    head = body[: limit * 2 // 3].rstrip()
    tail = body[-(limit // 3):].lstrip()
    return f"{head}\n[...]\n{tail}"


def exit_code(text: str | None) -> int | None:
    """N from an error that starts with `Exit code N` (how Claude Code reports Bash failures)."""
    if isinstance(text, str):
        match = re.match(r"\s*Exit code (\d+)", text)
        if match:
            return int(match.group(1))
    return None


def same_thing(success: tuple[str, str | None, str | None], error: tuple[str | None, str | None, str | None]) -> bool:
    """Does a successful call (signature, category, file) show that an earlier error is fixed?

    Yes for the same signature; for the same kind of check on the same file; and for a
    whole-project run of the same checker (`pytest` passing fixes `pytest tests/test_a.py`).
    """
    sig, category, file_path = success
    error_sig, error_category, error_file = error
    if sig and sig == error_sig:
        return True
    if not category or category != error_category:
        return False
    if file_path and file_path == error_file:
        return True
    words = sig.split()
    whole_run = bool(words) and all(w.startswith("-") for w in words[1:])
    return whole_run and category in ("test", "lint", "type") and bool(error_sig) and \
        (error_sig or "").split()[0] == words[0]
