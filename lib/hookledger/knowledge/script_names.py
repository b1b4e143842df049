"""What a project's own script or target checks, by its name.

`sh run-tests.sh`, `scripts/test.sh`, `bin/check`, `npm run test:unit`, `make lint`,
`just typecheck`, `pdm run test`: the words of the name say the kind of check. A few names
say only "some check" (`check`, `ci`, `verify`): weak, they count when the output says
nothing more. Pure, stdlib only.
"""

from __future__ import annotations

import re

# Words that say what a script checks; the first kind listed wins when a name has several
# (`check-types` is a type check, `lint-and-test` a lint run, `build-and-test` a test run).
WORDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("type", frozenset({"type", "types", "typecheck", "typing", "typed", "tsc", "mypy", "pyright"})),
    ("lint", frozenset({"lint", "lints", "linter", "linting", "eslint", "ruff", "flake8", "pylint", "format",
                        "fmt", "formatting", "prettier", "style", "stylelint", "clippy", "vet"})),
    ("test", frozenset({"test", "tests", "testing", "spec", "specs", "e2e", "unit", "integration", "pytest", "jest",
                        "vitest", "mocha", "coverage", "cov", "bats"})),
    ("build", frozenset({"build", "builds", "compile", "bundle", "dist", "install", "deps", "package"})),
)
WEAK: dict[str, str] = {"check": "test", "checks": "test", "ci": "test", "verify": "test", "validate": "test",
                        "qa": "test"}
SCRIPT_EXT = re.compile(r"\.(?:sh|bash|zsh|py|js|mjs|cjs|ts|mts|rb|pl|php|ps1|bat|cmd)$", re.I)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def words_of(name: str) -> list[str]:
    """`scripts/runTests.sh` -> ['run', 'tests']; `test:unit` -> ['test', 'unit']."""
    stem = SCRIPT_EXT.sub("", name.rstrip("/").rsplit("/", 1)[-1])
    return [w for w in _SPLIT.split(_CAMEL.sub(r"\1 \2", stem).lower()) if w]


def kind(name: str) -> tuple[str | None, bool]:
    """(category, strong) that a script or target name says, else its folder's name
    (`tests/run.sh`); (None, False) when neither says anything."""
    found = _kind(words_of(name))
    folder = name.rstrip("/").rsplit("/", 1)[0] if "/" in name.rstrip("/") else ""
    return found if found[0] or not folder else _kind(words_of(folder))


def _kind(words: list[str]) -> tuple[str | None, bool]:
    if "typecheck" in "".join(words):  # type-check, typeCheck, type_check
        return "type", True
    for category, vocabulary in WORDS:
        if any(w in vocabulary for w in words):
            return category, True
    weak = next((WEAK[w] for w in words if w in WEAK), None)
    return weak, False


def is_script_path(word: str) -> bool:
    """Does a command's first word name a script file (not a program found on the PATH)?"""
    return "/" in word or bool(SCRIPT_EXT.search(word))
