"""Which transcript files an import reads, and whose they are."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_AGENT_FILE = re.compile(r"^agent-([A-Za-z0-9_-]{1,128})\.jsonl$")


@dataclass(frozen=True)
class TranscriptFile:
    """One transcript: the session it belongs to, and the subagent for a sidechain file."""

    path: str
    session_id: str
    agent_id: str | None  # None: the session's main transcript
    size: int
    mtime_ns: int


def claude_home() -> str:
    """Claude Code's configuration folder ($CLAUDE_CONFIG_DIR, else ~/.claude)."""
    return os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")


def encoded(project_dir: str) -> str:
    """The folder name Claude Code gives a project: every character but letters, digits and '-'
    becomes '-' ('/home/dev/acme_app' -> '-home-dev-acme-app')."""
    return re.sub(r"[^A-Za-z0-9-]", "-", os.path.abspath(project_dir))


def project_folder(project_dir: str) -> str:
    return os.path.join(claude_home(), "projects", encoded(project_dir))


def all_project_folders() -> list[str]:
    root = os.path.join(claude_home(), "projects")
    try:
        return sorted(os.path.join(root, n) for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    except OSError:
        return []


def _describe(path: str) -> TranscriptFile | None:
    """A transcript file's session and agent from where it lies; None for anything else."""
    name = os.path.basename(path)
    if not name.endswith(".jsonl"):
        return None
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    if not os.path.isfile(path) or os.path.islink(path):
        return None  # never follow a link planted among transcripts
    match = _AGENT_FILE.match(name)
    if match:
        parent = os.path.dirname(path)
        if os.path.basename(parent) == "subagents":
            return TranscriptFile(path, os.path.basename(os.path.dirname(parent)), match.group(1), st.st_size,
                                  st.st_mtime_ns)
        return None
    return TranscriptFile(path, name[:-len(".jsonl")], None, st.st_size, st.st_mtime_ns)


def files_in(target: str) -> list[TranscriptFile]:
    """Transcripts of a file or a folder (its sessions and their subagents), main files first
    within a session."""
    found: list[TranscriptFile] = []
    if os.path.isfile(target):
        described = _describe(os.path.abspath(target))
        return [described] if described else []
    for folder, dirs, files in os.walk(target, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            described = _describe(os.path.join(os.path.abspath(folder), name))
            if described:
                found.append(described)
    return found


def grouped(files: list[TranscriptFile]) -> dict[str, list[TranscriptFile]]:
    """Files per session, each path once, the main transcript first."""
    out: dict[str, dict[str, TranscriptFile]] = {}
    for f in files:
        out.setdefault(f.session_id, {})[f.path] = f
    return {sid: sorted(by_path.values(), key=lambda f: (f.agent_id is not None, f.path))
            for sid, by_path in sorted(out.items())}


def previous_session(folder: str, current: str) -> list[TranscriptFile]:
    """The files of the newest session in `folder` other than `current` (by its main file's mtime)."""
    sessions = grouped(files_in(folder))
    mains = [(group[0].mtime_ns, sid) for sid, group in sessions.items()
             if sid != current and group and group[0].agent_id is None]
    return sessions[max(mains)[1]] if mains else []
