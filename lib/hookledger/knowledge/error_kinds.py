"""What a failed tool call was: its category, its signature, the file involved.

Pure functions over the command line and the error text (no database, no filesystem).
`signature` decides when two failures are "the same thing" (attempts are counted per
signature, and a later success of the same signature fixes the error). Hot path: stdlib only,
imported only when a tool call failed or a Bash command succeeded.
"""

from __future__ import annotations

import re
from functools import lru_cache  # already loaded by re

from hookledger.hotpath.redact import redact
from hookledger.knowledge import script_names
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
    "test": {"pytest", "py.test", "unittest", "nose2", "jest", "vitest", "mocha", "ava", "karma",
             "rspec", "phpunit", "ctest"},
    "type": {"mypy", "pyright", "basedpyright", "pytype", "pyre", "tsc", "vue-tsc", "flow"},
    "lint": {"ruff", "flake8", "pylint", "pycodestyle", "pydocstyle", "pyflakes", "black", "isort", "eslint", "biome",
             "prettier", "stylelint", "shellcheck", "hadolint", "golangci-lint", "golint", "staticcheck", "gofmt",
             "rubocop", "markdownlint", "yamllint", "pre-commit"},
    "build": {"build", "cmake", "ninja", "gcc", "g++", "clang", "javac", "mvn", "gradle", "gradlew", "webpack",
              "rollup", "esbuild"},
}
_SUBCOMMANDS = {
    ("go", "test"): "test", ("cargo", "test"): "test", ("cargo", "nextest"): "test", ("deno", "test"): "test",
    ("mix", "test"): "test", ("dotnet", "test"): "test", ("mvn", "test"): "test", ("gradle", "test"): "test",
    ("gradlew", "test"): "test", ("gradle", "check"): "test", ("gradlew", "check"): "test", ("mvn", "verify"): "test",
    ("swift", "test"): "test", ("node", "--test"): "test", ("ty", "check"): "type", ("deno", "check"): "type",
    ("deno", "lint"): "lint", ("deno", "fmt"): "lint", ("mix", "format"): "lint", ("cargo", "clippy"): "lint",
    ("cargo", "fmt"): "lint", ("go", "vet"): "build",
    ("cargo", "build"): "build", ("cargo", "check"): "build", ("cargo", "install"): "build", ("go", "build"): "build",
    ("go", "install"): "build", ("pip", "install"): "build", ("pip3", "install"): "build", ("uv", "sync"): "build",
    ("uv", "pip"): "build", ("uv", "add"): "build", ("uv", "lock"): "build", ("poetry", "install"): "build",
    ("poetry", "lock"): "build", ("poetry", "add"): "build", ("python", "setup.py"): "build",
    ("docker", "build"): "build", ("dotnet", "build"): "build", ("vite", "build"): "build",
}
_PACKAGE_MANAGERS = {"npm", "yarn", "pnpm", "bun"}
# Package manager subcommands that are not a script of the project.
_PM_BUILTINS = {"test": "test", "t": "test", "tst": "test", "install": "build", "i": "build", "ci": "build",
                "add": "build", "rebuild": "build"}
# Programs that run a named target of the project (`make lint`, `just test`), with the kind
# their default target has when none is named or the name says nothing.
_TASK_RUNNERS = {"make": "build", "gmake": "build", "just": None, "task": None, "rake": None, "invoke": None,
                 "inv": None, "mage": None, "composer": None, "mise": None, "tox": "test", "nox": "test"}
# Their options that take the next word as a value (the target comes after).
_VALUE_FLAGS = {"-C", "-f", "--file", "--makefile", "--directory", "-I", "--include-dir", "-o", "-W", "--justfile",
                "-d", "--working-directory", "--set", "-t", "--taskfile", "--dir", "-e", "-s", "--sessions",
                "--envlist"}
# Programs that run a script file given as their first operand (`sh run-tests.sh`).
_INTERPRETERS = {"sh", "bash", "zsh", "dash", "ksh", "python", "node", "deno", "bun", "ruby", "perl", "php", "tsx",
                 "ts-node", "pwsh", "Rscript"}
# Compiled on first use only (a few ms): most calls reach here only for a failure.
_OUTPUT_SOURCES = (
    ("type", r"error TS\d{3,5}|: error: .*\[[a-z][a-z-]+\]$|Incompatible types|"
             r"is not assignable to|reportGeneralTypeIssues|Found \d+ errors? in \d+ files?"),
    # pytest, unittest, go, jest/vitest, TAP, mocha, rspec, minitest, phpunit, ctest, cargo, `FAIL name`
    ("test", r"^(?:FAILED |ERROR )\S+::|\d+ failed\b|AssertionError|^\s*(?:--- )?FAIL\b:?\s+\S|^ERROR: test|"
             r"^FAILED \((?:failures|errors)=|^not ok \d+|^\s*\d+ failing\b|\d+ examples?, [1-9]\d* failures?|"
             r"\d+ assertions?, [1-9]\d* failures?|^Tests: \d+, Assertions: \d+, (?:Errors|Failures)|"
             r"\b[1-9]\d* tests? failed|test result: FAILED"),
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


def _unwrap(words: list[str]) -> tuple[list[str], bool]:
    """Drop env assignments, wrappers (`uv run`, `npx`) and `python -m`; say whether a runner
    was dropped (`pdm run test` runs the project's script `test`)."""
    changed, wrapped = True, False
    while words and changed:
        changed = False
        while words and _ENV_ASSIGN.match(words[0]):
            words, changed = words[1:], True
        for runner in _RUNNERS:
            if tuple(words[:len(runner)]) == runner:
                words, changed, wrapped = words[len(runner):], True, True
                break
        if words and _PYTHON.match(words[0]):
            words = ["python"] + words[1:]
            if len(words) > 2 and words[1] == "-m":
                words, changed = words[2:], True
    return words, wrapped


def _strip_runner(words: list[str]) -> list[str]:
    """The program and its arguments: wrappers dropped, `/usr/bin/make` -> `make`."""
    words, _ = _unwrap(words)
    if words and "/" in words[0] and not words[0].startswith("."):
        words = [words[0].rsplit("/", 1)[1]] + words[1:]
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


def _operands(words: list[str]) -> list[str]:
    """A task runner's operands: options, their values and VAR=value assignments left out."""
    out, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in _VALUE_FLAGS:
            skip = True
        elif not word.startswith("-") and "=" not in word:
            out.append(word)
    return out


def _package_script(words: list[str]) -> tuple[str | None, bool]:
    """`npm test`, `npm run test:unit`, `yarn lint`, `pnpm run typecheck`, `bun run build`."""
    sub = words[1]
    if sub in ("run", "run-script"):
        return script_names.kind(words[2]) if len(words) > 2 else (None, False)
    if sub in _PM_BUILTINS:
        return _PM_BUILTINS[sub], True
    return script_names.kind(sub) if words[0] != "npm" else (None, False)


def _task_target(program: str, words: list[str]) -> tuple[str | None, bool]:
    """`make lint`, `just test`, `tox -e lint`: the target's name, else the runner's default."""
    operands = _operands(words[1:])
    if program in ("tox", "nox"):  # the environment / session named by -e / -s
        named = [w for flag, w in zip(words, words[1:]) if flag in ("-e", "--envlist", "-s", "--sessions")]
        operands = named[0].split(",") if named else []
    if operands[:1] in (["run"], ["run-script"]):  # `mise run test`, `composer run-script lint`
        operands = operands[1:]
    found = script_names.kind(operands[0]) if operands else (None, False)
    default = _TASK_RUNNERS[program]
    return found if found[0] else (default, bool(default))


def _script(words: list[str], wrapped: bool) -> tuple[str | None, bool]:
    """A project script run directly (`./run-tests.sh`, `bin/check`), through an interpreter
    (`sh scripts/test.sh`, `python manage.py test`) or a runner (`pdm run lint`)."""
    first = words[0]
    program = first.rsplit("/", 1)[-1]
    if program in _INTERPRETERS or _PYTHON.match(first):
        operands = [w for w in words[1:] if not w.startswith("-")]
        if not operands:
            return None, False
        found = script_names.kind(operands[0])
        if not found[0] and len(operands) > 1 and re.match(r"^[\w:-]+$", operands[1]):
            found = script_names.kind(operands[1])  # a subcommand: `python manage.py test`
        return found
    if script_names.is_script_path(first) or wrapped:
        return script_names.kind(first)
    return None, False


def command_kind(command: str) -> tuple[str | None, bool]:
    """(category, strong): the kind of check a command line runs, as far as the command says.
    Weak: only a name such as `check` or `ci` says it is a check of some kind."""
    if not isinstance(command, str) or not command.strip():
        return None, False
    words, wrapped = _unwrap(_words(_main_segment(command)))
    if not words:
        return None, False
    program = words[0].rsplit("/", 1)[-1]
    if program in _PACKAGE_MANAGERS and len(words) > 1:
        return _package_script(words)
    sub = next((w for w in words[1:] if not w.startswith("-") or w == "--test"), "")
    if (program, sub) == ("cargo", "make"):  # cargo-make: a task runner like make
        words, program = words[1:], "make"
    found = _SUBCOMMANDS.get((program, sub))
    if found:
        return found, True
    if program in _TASK_RUNNERS:
        return _task_target(program, words)
    named = next((category for category, names in _PROGRAMS.items() if program in names), None)
    if named:
        return named, True
    return _script(words, wrapped)


def command_category(command: str) -> str | None:
    """The kind of check a command line runs, when evident from the command alone."""
    return command_kind(command)[0]


def categorize(command: str | None, output: str | None) -> str:
    """lint, type, test, build or runtime: from the command, else from the error text, else
    from a name that only says "a check" (`bin/check`), else runtime."""
    found, strong = command_kind(command or "")
    if found and strong:
        return found
    text = output or ""
    for category, pattern in _output_patterns():
        if pattern.search(text):
            return category
    return found or "runtime"


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


_MARGIN = 256  # redacted beyond each cut, so a secret straddling it is found whole


def first_lines(text: str | None, limit: int = 600) -> str:
    """The error message as stored: `Exit code N` dropped, trimmed to `limit` characters,
    redacted before it is cut (a secret cut in two would escape the rules)."""
    if not isinstance(text, str):
        return ""
    body = re.sub(r"^Exit code \d+\s*\n?", "", text.strip())
    body = body.strip() or text.strip()
    if len(body) <= limit:
        return redact(body)
    head_n, tail_n = limit * 2 // 3, limit // 3
    head = redact(body[: head_n + _MARGIN])[:head_n].rstrip()
    tail = redact(body[-(tail_n + _MARGIN):])[-tail_n:].lstrip()
    return f"{head}\n[...]\n{tail}"


_EXCEPTION_LINE = re.compile(r"^[\w.]*(?:Error|Exception)\b")


def telling_line(text: str | None, limit: int = 300) -> str:
    """The line of an error output that says most: the first one a known failure format
    matches (`FAIL test_app: ...`), else the last exception line of a traceback, else the
    first line. Trimmed to `limit` characters."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    lines = [line for line in lines if not re.match(r"^Exit code \d+$", line)] or lines
    if not lines:
        return ""
    patterns = [pattern for _, pattern in _output_patterns()]
    best = next((line for line in lines if any(p.search(line) for p in patterns)), None)
    best = best or next((line for line in reversed(lines) if _EXCEPTION_LINE.match(line)), None) or lines[0]
    return best[:limit]


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
