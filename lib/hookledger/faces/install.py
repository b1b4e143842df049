"""Merge hookledger's registrations into a project's `.claude/settings.json`, and take them out.

Like pre-commit's installer: the command bakes in absolute paths (Claude Code runs hooks with
`sh -c` in the session's current directory, which follows `cd`), every entry carries a marker
so a re-install replaces exactly our entries and an uninstall removes exactly them, the file
is backed up and replaced atomically, and an invalid settings file is never touched.
Stdlib only, so `install.sh --uninstall` works without the virtual environment.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from dataclasses import dataclass
from typing import Any

from hookledger.hotpath.events import EVENTS
from hookledger.faces.hookscripts import filename

MARKER = "# hookledger"
GITIGNORE_LINE = ".claude-session.db*"
# Per-hook timeouts (seconds). SessionEnd hooks share a 1.5 s budget unless a settings
# timeout raises it; ours finishes well within 1.5 s, the margin is for slow disks.
TIMEOUTS = {"SessionEnd": 5, "UserPromptSubmit": 10, "TaskCompleted": 600}
DEFAULT_TIMEOUT = 30


class SettingsError(Exception):
    """The settings file cannot be merged (invalid JSON, wrong shape); it was left untouched."""


@dataclass
class Result:
    settings_path: str
    changed: bool
    backup: str | None
    gitignore_changed: bool = False


def hook_command(python: str, hooks_dir: str, event: str) -> str:
    """The registered shell command: absolute interpreter and script, and our marker."""
    script = os.path.join(os.path.abspath(hooks_dir), filename(event))
    return f"{shlex.quote(os.path.abspath(python))} {shlex.quote(script)} {MARKER}"


def is_ours(handler: Any) -> bool:
    return isinstance(handler, dict) and isinstance(handler.get("command"), str) and \
        handler["command"].rstrip().endswith(MARKER)


def registrations(python: str, hooks_dir: str) -> dict[str, dict[str, Any]]:
    """One matcher group per event; no matcher = every tool / every source."""
    return {
        event: {"hooks": [{"type": "command", "command": hook_command(python, hooks_dir, event),
                           "timeout": TIMEOUTS.get(event, DEFAULT_TIMEOUT)}]}
        for event in EVENTS
    }


def _without_ours(groups: list[Any]) -> list[Any]:
    kept = []
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            hooks = [h for h in group["hooks"] if not is_ours(h)]
            if not hooks and group["hooks"]:
                continue  # the group held only our handlers
            group = {**group, "hooks": hooks}
        kept.append(group)
    return kept


def merge(settings: dict[str, Any], python: str | None, hooks_dir: str | None, *, uninstall: bool = False) -> dict[str, Any]:
    """Settings with our entries replaced (install) or removed (uninstall); all else kept."""
    merged = dict(settings)
    hooks = merged.get("hooks", {})
    if not isinstance(hooks, dict):
        raise SettingsError("'hooks' is not an object")
    hooks = dict(hooks)
    for event, groups in list(hooks.items()):
        if not isinstance(groups, list):
            raise SettingsError(f"'hooks.{event}' is not a list")
        cleaned = _without_ours(groups)
        if cleaned:
            hooks[event] = cleaned
        else:
            del hooks[event]
    if not uninstall:
        assert python and hooks_dir
        for event, group in registrations(python, hooks_dir).items():
            hooks[event] = [*hooks.get(event, []), group]
    if hooks:
        merged["hooks"] = hooks
    else:
        merged.pop("hooks", None)
    return merged


def read_settings(path: str) -> dict[str, Any]:
    """A settings file as a dict ({} when missing or empty); SettingsError when it is not a JSON object."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{path} is not valid JSON ({exc}); fix it and run again, it was left untouched") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path} does not hold a JSON object; it was left untouched")
    return data


def _write_atomic(path: str, text: str) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    if os.path.exists(path):
        os.chmod(tmp, os.stat(path).st_mode & 0o777)
    os.replace(tmp, path)


def _backup_name(path: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate, n = f"{path}.{stamp}.bak", 1
    while os.path.exists(candidate):
        candidate, n = f"{path}.{stamp}-{n}.bak", n + 1
    return candidate


def ensure_gitignore(project: str) -> bool:
    """Add the ledger files to the project's .gitignore; True if it changed."""
    path = os.path.join(project, ".gitignore")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    if any(line.strip() == GITIGNORE_LINE for line in text.splitlines()):
        return False
    prefix = "" if not text or text.endswith("\n") else "\n"
    _write_atomic(path, f"{text}{prefix}# hookledger session database\n{GITIGNORE_LINE}\n")
    return True


def apply(project: str, python: str | None = None, hooks_dir: str | None = None, *, uninstall: bool = False) -> Result:
    """Install (or uninstall) into `project`'s .claude/settings.json. Idempotent."""
    project = os.path.abspath(project)
    if not os.path.isdir(project):
        raise SettingsError(f"{project} is not a directory")
    path = os.path.join(project, ".claude", "settings.json")
    original = read_settings(path)
    updated = merge(original, python, hooks_dir, uninstall=uninstall)
    result = Result(settings_path=path, changed=updated != original, backup=None)
    if result.changed:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.exists(path):
            backup = _backup_name(path)
            with open(path, encoding="utf-8") as src:
                _write_atomic(backup, src.read())
            result.backup = backup
        _write_atomic(path, json.dumps(updated, indent=2, ensure_ascii=False) + "\n")
    if not uninstall:
        result.gitignore_changed = ensure_gitignore(project)
    return result


def registered_events(project: str) -> dict[str, list[str]]:
    """Event -> our registered commands in the project's settings."""
    try:
        settings = read_settings(os.path.join(project, ".claude", "settings.json"))
    except SettingsError:
        return {}
    return ours_in(settings)


def ours_in(settings: dict[str, Any]) -> dict[str, list[str]]:
    """Event -> the commands carrying our marker in one settings dict."""
    found: dict[str, list[str]] = {}
    hooks = settings.get("hooks")
    for event, groups in (hooks.items() if isinstance(hooks, dict) else []):
        for group in groups if isinstance(groups, list) else []:
            for handler in group.get("hooks", []) if isinstance(group, dict) else []:
                if is_ours(handler):
                    found.setdefault(event, []).append(handler["command"])
    return found


def install_project(project: str, python: str, hooks_dir: str | None, *, uninstall: bool = False) -> Result:
    """Write the hook executables (to `hooks_dir`, default $HOOKLEDGER_HOME/hooks) and register
    them in the project; or take our registrations out."""
    from hookledger.hotpath import paths
    from hookledger.faces.hookscripts import write_all

    target = None
    if not uninstall:
        target = hooks_dir or os.path.join(paths.home(), "hooks")
        write_all(target)
    return apply(project, python, target, uninstall=uninstall)


def main(argv: list[str] | None = None) -> int:
    """`python -m hookledger.faces.install [--uninstall] PROJECT`: the installer without click."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="hookledger install", description=__doc__.splitlines()[0])
    parser.add_argument("project")
    parser.add_argument("--uninstall", action="store_true", help="remove exactly hookledger's entries")
    parser.add_argument("--python", default=sys.executable, help="interpreter the hooks run with")
    parser.add_argument("--hooks-dir", default=None, help="where the hook executables are written")
    args = parser.parse_args(argv)
    try:
        result = install_project(args.project, args.python, args.hooks_dir, uninstall=args.uninstall)
    except (SettingsError, OSError) as exc:
        print(f"hookledger install: error: {exc}", file=sys.stderr)
        return 1
    print(describe(result, args.uninstall))
    return 0


def describe(result: Result, uninstall: bool) -> str:
    verb = "removed from" if uninstall else "registered in"
    lines = [f"hookledger hooks {verb} {result.settings_path}" if result.changed
             else f"{result.settings_path} already up to date (nothing changed)"]
    if result.backup:
        lines.append(f"backup of the previous settings: {result.backup}")
    if result.gitignore_changed:
        lines.append(f"added {GITIGNORE_LINE} to .gitignore")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
