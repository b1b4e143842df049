"""What a project is: languages, package manager and check commands, read from its manifests.

`stat` finds the manifests (name -> mtime), `detect` reads them; the SessionStart handler
(handlers/project_state) caches the result in the ledger's project_state table, `read` reads it back.
"""

from __future__ import annotations

import json
import os
import sqlite3

MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "uv.lock", "poetry.lock", "Pipfile",
             "pdm.lock", "tox.ini", "pytest.ini", "mypy.ini", "ruff.toml", ".flake8", "package.json",
             "package-lock.json", "pnpm-lock.yaml", "yarn.lock", "bun.lockb", "bun.lock", "tsconfig.json",
             "Cargo.toml", "go.mod", "Gemfile", "pom.xml", "build.gradle", "build.gradle.kts", "Makefile",
             "composer.json", "mix.exs")
KEYS = ("languages", "package_manager", "test_command", "lint_command", "typecheck_command")


def stat(project: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for name in MANIFESTS:
        try:
            found[name] = os.stat(os.path.join(project, name)).st_mtime
        except OSError:
            pass
    return found


def _read(project: str, name: str, limit: int = 256_000) -> str:
    """A manifest's text; "" when absent or not a regular file (a FIFO planted as package.json
    must not block the hook)."""
    from hookledger.store.safe_files import read_private_target

    try:
        data = read_private_target(os.path.join(project, name), limit)
    except OSError:
        return ""
    return (data or b"")[:limit].decode("utf-8", "replace")


def _node(project: str, files: dict[str, float]) -> dict[str, str | None]:
    manager = ("pnpm" if "pnpm-lock.yaml" in files else "yarn" if "yarn.lock" in files
               else "bun" if "bun.lockb" in files or "bun.lock" in files else "npm")
    try:
        scripts = json.loads(_read(project, "package.json")).get("scripts") or {}
    except (ValueError, AttributeError):
        scripts = {}
    scripts = scripts if isinstance(scripts, dict) else {}
    run = lambda name: (f"{manager} test" if name == "test" else f"{manager} run {name}")  # noqa: E731
    pick = lambda *names: next((run(n) for n in names if n in scripts), None)  # noqa: E731
    typecheck = pick("typecheck", "type-check", "types", "tsc") or (
        f"{'npx' if manager == 'npm' else manager} tsc --noEmit" if "tsconfig.json" in files else None)
    return {"package_manager": manager, "test_command": pick("test"), "lint_command": pick("lint"),
            "typecheck_command": typecheck}


def _python(project: str, files: dict[str, float]) -> dict[str, str | None]:
    manager = ("uv" if "uv.lock" in files else "poetry" if "poetry.lock" in files else "pdm" if "pdm.lock" in files
               else "pipenv" if "Pipfile" in files else "pip")
    config = _read(project, "pyproject.toml") + _read(project, "setup.cfg") + _read(project, "tox.ini")
    prefix = {"uv": "uv run ", "poetry": "poetry run ", "pdm": "pdm run ", "pipenv": "pipenv run "}.get(manager, "")
    lint = ("ruff check ." if "ruff" in config or "ruff.toml" in files
            else "flake8" if "flake8" in config or ".flake8" in files else None)
    types = "mypy ." if "mypy" in config or "mypy.ini" in files else "pyright" if "pyright" in config else None
    return {"package_manager": manager, "test_command": prefix + "pytest",
            "lint_command": prefix + lint if lint else None, "typecheck_command": prefix + types if types else None}


def detect(project: str, files: dict[str, float]) -> dict[str, object]:
    """What the manifests say about the project (the first language found decides commands)."""
    languages: list[str] = []
    commands: dict[str, str | None] = {}

    def found(language: str, these: dict[str, str | None]) -> None:
        languages.append(language)
        for key, value in these.items():
            if value and not commands.get(key):
                commands[key] = value

    python_files = {"pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "uv.lock", "poetry.lock", "Pipfile"}
    if python_files & files.keys():
        found("python", _python(project, files))
    if "package.json" in files:
        found("typescript" if "tsconfig.json" in files else "javascript", _node(project, files))
    if "Cargo.toml" in files:
        found("rust", {"package_manager": "cargo", "test_command": "cargo test", "lint_command": "cargo clippy",
                       "typecheck_command": "cargo check"})
    if "go.mod" in files:
        found("go", {"package_manager": "go", "test_command": "go test ./...", "lint_command": "go vet ./...",
                     "typecheck_command": "go build ./..."})
    if "Gemfile" in files:
        found("ruby", {"package_manager": "bundler", "test_command": "bundle exec rake test"})
    if {"pom.xml", "build.gradle", "build.gradle.kts"} & files.keys():
        found("java", {"package_manager": "maven" if "pom.xml" in files else "gradle",
                       "test_command": "mvn test" if "pom.xml" in files else "./gradlew test"})
    if "composer.json" in files:
        found("php", {"package_manager": "composer"})
    if "mix.exs" in files:
        found("elixir", {"package_manager": "mix", "test_command": "mix test"})
    if not commands.get("test_command") and "Makefile" in files and "\ntest:" in "\n" + _read(project, "Makefile"):
        commands["test_command"] = "make test"
    return {"languages": languages, **{k: commands.get(k) for k in KEYS[1:]}}


def read(conn: sqlite3.Connection) -> dict[str, object]:
    """The cached project state (values decoded)."""
    out: dict[str, object] = {}
    for key, value in conn.execute(
            f"SELECT key, value FROM project_state WHERE key IN ({','.join('?' * len(KEYS))})", KEYS):
        try:
            out[key] = json.loads(value) if value is not None else None
        except ValueError:
            out[key] = value
    return out
