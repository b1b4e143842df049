"""Claude Code versions: which one ran the hooks, and which ones hookledger was tested against.

The end-to-end suite (tests/e2e) drives the real CLI: always at PINNED, and at any version
named in HOOKLEDGER_E2E_CLAUDE_VERSION. NEWEST_PASSED is the newest version it has passed
with; the suite itself raises it when every e2e test passes with a newer one. `hookledger
doctor` warns when the version that last ran the hooks is newer than that.

The version of a session is read from its transcript (every record carries `version`) and,
at SessionStart, from the environment Claude Code gives its hooks (`AI_AGENT`, e.g.
`claude-code_2-1-197_harness`, seen in 2.1.197 and 2.1.332). Pure, stdlib only.
"""

from __future__ import annotations

PINNED = "2.1.197"
NEWEST_PASSED = "2.1.332"
METRIC = "claude_code_version"  # session_metrics key
AGENT_ENV = "AI_AGENT"
_AGENT_PREFIX = "claude-code_"


def parse(version: object) -> tuple[int, ...] | None:
    """'2.1.197' -> (2, 1, 197); None for anything else."""
    if not isinstance(version, str):
        return None
    parts = version.strip().split(".")
    if not 2 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def newer(version: str, than: str) -> bool:
    a, b = parse(version), parse(than)
    return a is not None and b is not None and a > b


def from_agent_env(value: str | None) -> str | None:
    """The version in Claude Code's AI_AGENT variable (`claude-code_2-1-197_harness`)."""
    if not isinstance(value, str) or not value.startswith(_AGENT_PREFIX):
        return None
    version = value[len(_AGENT_PREFIX):].split("_", 1)[0].replace("-", ".")
    return version if parse(version) else None
