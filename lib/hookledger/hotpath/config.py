"""Per-project settings from `.claude/hookledger.json`, validated, merged over DEFAULTS.

Every key is optional. Each value is checked against its rule in SETTINGS (type and
documented range): an invalid one falls back to its default, for that key only. A file that
is not valid JSON, not an object, too large or nested absurdly falls back whole. Either way
`load_checked` returns the problems (key and value), which the hook reports in one stderr
line once per session and `hookledger doctor` reports as a failure. No value that gets
through can crash a handler: numbers are finite and in range, choices are known words.

Adding a setting (other work adds keys in parallel, so keep this the one place):
1. add its default to DEFAULTS under its section;
2. add its rule to SETTINGS under the dotted key, e.g. `"capture.prompts": Bool()`,
   `"import.auto": Choice("off", "on")`, `"prices": Mapping()` (free-form object),
   `"claims.window_seconds": Number(0, WEEK_S)`, `"gate.commands": Strings(50, 4000)`;
3. document it in README's configuration table. A key in DEFAULTS without a rule is still
   checked by the type of its default (tests/test_config_hardening.py lists such keys).

Hot path: stdlib only (json, math, os).
"""

from __future__ import annotations

import json
import math
import os

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

from hookledger.hotpath.paths import config_path

DEFAULTS: dict[str, Any] = {
    "claims": {"policy": "warn", "window_seconds": 600},
    "agents": {"stale_seconds": 1800},
    "errors": {"research_after": 3, "ask_user_after": 5},
    "brief": {"max_chars": 8000, "resume_max_age_hours": 24},
    "gate": {"mode": "observe", "commands": [], "timeout_seconds": 120, "max_blocks": 3},
    "audit": {"summary_max_chars": 2048},
    "capture": {"prompts": True},
    "retention": {"days": 90, "max_mb": 200, "auto": True, "every_hours": 24},
    # sync.<target>: options of `hookledger sync --to <target>` (e.g. flightdeck's project_id,
    # postgres' person/host/project), read by that target's own code
    "sync": {"auto": [], "massu": {}, "flightdeck": {}, "codewalkers": {}, "teamx": {}, "postgres": {}},
    # prices: model id (or glob) -> rates per million tokens, over knowledge/prices.json
    "prices": {},
    # import.auto: SessionStart imports the previous session's transcript, detached
    "import": {"auto": False},
}

MAX_FILE_BYTES = 1 << 20  # a settings file larger than this is not a settings file
MAX_DEPTH = 64  # objects/arrays nested deeper than this (absurdly): the file falls back whole
HOUR_S, DAY_S, WEEK_S = 3600, 86400, 7 * 86400
UNKNOWN = "unknown setting, ignored (a typo?)"


class Rule:
    """Checks one setting: `check(value)` returns the value to use, or raises ValueError."""

    def describe(self) -> str:
        return type(self).__name__.lower()

    def check(self, value: Any) -> Any:
        raise NotImplementedError


class Number(Rule):
    """A finite number (int or float, never a boolean) in [lo, hi]."""

    def __init__(self, lo: float, hi: float, *, integer: bool = False) -> None:
        self.lo, self.hi, self.integer = lo, hi, integer

    def describe(self) -> str:
        return f"{'an integer' if self.integer else 'a number'} from {self.lo:g} to {self.hi:g}"

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError
        if isinstance(value, float) and (not math.isfinite(value) or (self.integer and not value.is_integer())):
            raise ValueError
        if not self.lo <= value <= self.hi:
            raise ValueError
        return int(value) if self.integer else value


def Integer(lo: int, hi: int) -> Number:  # noqa: N802  (reads as a type in SETTINGS)
    return Number(lo, hi, integer=True)


class Choice(Rule):
    def __init__(self, *words: str) -> None:
        self.words = words

    def describe(self) -> str:
        return "one of " + ", ".join(self.words)

    def check(self, value: Any) -> Any:
        word = value.strip().lower() if isinstance(value, str) else None
        if word not in self.words:
            raise ValueError
        return word


class Bool(Rule):
    def describe(self) -> str:
        return "true or false"

    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError
        return value


class Strings(Rule):
    """A list of non-empty strings (a lone string counts as a list of one)."""

    def __init__(self, max_items: int, max_len: int) -> None:
        self.max_items, self.max_len = max_items, max_len

    def describe(self) -> str:
        return f"a list of at most {self.max_items} strings of at most {self.max_len} characters"

    def check(self, value: Any) -> Any:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or len(items) > self.max_items:
            raise ValueError
        if not all(isinstance(v, str) and v.strip() and len(v) <= self.max_len for v in items):
            raise ValueError
        return items


class Objects(Rule):
    """A list of objects, each with the given string fields (e.g. sync.auto entries)."""

    def __init__(self, max_items: int, fields: dict[str, tuple[str, ...] | None]) -> None:
        self.max_items, self.fields = max_items, fields  # field -> allowed words (None: any string)

    def describe(self) -> str:
        return f"a list of at most {self.max_items} objects with {', '.join(self.fields)}"

    def check(self, value: Any) -> Any:
        if not isinstance(value, list) or len(value) > self.max_items:
            raise ValueError
        for item in value:
            if not isinstance(item, dict):
                raise ValueError
            for field, words in self.fields.items():
                v = item.get(field)
                if not isinstance(v, str) or not v.strip() or len(v) > 4096 or (words and v not in words):
                    raise ValueError
        return value


class Mapping(Rule):
    """A free-form object (its own code checks what it reads from it)."""

    def describe(self) -> str:
        return "an object"

    def check(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError
        return value


# The targets `hookledger sync --to` knows: the SQLite adapters (hookledger.sync.ADAPTERS) and
# the PostgreSQL warehouse (tests/test_layering.py keeps the two lists equal).
SYNC_TARGETS = ("massu", "flightdeck", "codewalkers", "teamx", "postgres")

# dotted key -> rule: the documented type and range of every setting.
SETTINGS: dict[str, Rule] = {
    "claims.policy": Choice("warn", "ask", "deny"),
    "claims.window_seconds": Number(0, WEEK_S),
    "agents.stale_seconds": Number(1, 30 * DAY_S),
    "errors.research_after": Integer(1, 1000),
    "errors.ask_user_after": Integer(1, 1000),
    "brief.max_chars": Integer(200, 1_000_000),
    "brief.resume_max_age_hours": Number(0, 24 * 365),
    "gate.mode": Choice("observe", "checks", "judge"),
    "gate.commands": Strings(50, 4000),
    "gate.timeout_seconds": Number(1, 3600),
    "gate.max_blocks": Integer(0, 1000),
    "audit.summary_max_chars": Integer(256, 1_000_000),
    "capture.prompts": Bool(),
    "retention.days": Number(0, 365 * 100),
    "retention.max_mb": Number(0, 1_000_000),
    "retention.auto": Bool(),
    "retention.every_hours": Number(0, 24 * 365),
    "sync.auto": Objects(10, {"to": SYNC_TARGETS, "target_db": None}),
    **{f"sync.{target}": Mapping() for target in SYNC_TARGETS},
    "prices": Mapping(),
    "import.auto": Bool(),
}


def _rule_for(dotted: str, default: Any) -> Rule | None:
    rule = SETTINGS.get(dotted)
    if rule is not None:
        return rule
    if isinstance(default, bool):
        return Bool()
    if isinstance(default, (int, float)):
        return Number(-1e15, 1e15, integer=isinstance(default, int))
    if isinstance(default, str):
        return _TypeOf(str)
    if isinstance(default, list):
        return _TypeOf(list)
    if isinstance(default, dict) and not default:
        return Mapping()
    return None


class _TypeOf(Rule):
    def __init__(self, kind: type) -> None:
        self.kind = kind

    def describe(self) -> str:
        return {"str": "a string", "list": "a list"}.get(self.kind.__name__, self.kind.__name__)

    def check(self, value: Any) -> Any:
        if not isinstance(value, self.kind):
            raise ValueError
        return value


def _show(value: Any) -> str:
    """A value as a problem line quotes it: short JSON (redacted where it is stored or printed)."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _merge(defaults: dict[str, Any], overrides: dict[str, Any], prefix: str, problems: list[str]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in overrides.items():
        dotted = f"{prefix}{key}"
        base = defaults.get(key)
        if key not in defaults:
            if not str(key).startswith(("$", "_")):  # "$schema", "_comment"
                problems.append(f"{dotted}: {UNKNOWN}")
            continue
        if isinstance(base, dict) and base and dotted not in SETTINGS:
            if isinstance(value, dict):
                merged[key] = _merge(base, value, dotted + ".", problems)
            else:
                problems.append(f"{dotted} = {_show(value)} is not an object: defaults used")
            continue
        rule = _rule_for(dotted, base)
        if rule is None:
            continue
        try:
            merged[key] = rule.check(value)
        except (ValueError, TypeError, OverflowError):
            problems.append(f"{dotted} = {_show(value)} is not {rule.describe()}: default {_show(base)} used")
    return merged


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of JSON data, counting no further than `limit` + 1."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _read(path: str) -> bytes | None:
    """The file's bytes; None when there is none. Never blocks on a FIFO or reads a device."""
    from hookledger.store.safe_files import read_private_target

    return read_private_target(path, MAX_FILE_BYTES)


def load_checked(project: str) -> tuple[dict[str, Any], list[str]]:
    """(configuration, problems): defaults for anything unset or invalid, and what was wrong."""
    path = config_path(project)
    try:
        raw = _read(path)
    except OSError as exc:
        return _merge(DEFAULTS, {}, "", []), [f"{path} cannot be read ({exc.strerror or exc}): all defaults used"]
    if raw is None:
        return _merge(DEFAULTS, {}, "", []), []
    if len(raw) > MAX_FILE_BYTES:
        return _merge(DEFAULTS, {}, "", []), [f"{path} is larger than {MAX_FILE_BYTES >> 10} KB: all defaults used"]
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"not valid JSON ({type(exc).__name__})"
        return _merge(DEFAULTS, {}, "", []), [f"{path} is {why}: all defaults used"]
    if not isinstance(data, dict):
        return _merge(DEFAULTS, {}, "", []), [f"{path} is not a JSON object: all defaults used"]
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        return _merge(DEFAULTS, {}, "", []), [f"{path} nests deeper than {MAX_DEPTH} levels: all defaults used"]
    problems: list[str] = []
    return _merge(DEFAULTS, data, "", problems), problems


def load(project: str) -> dict[str, Any]:
    """The project's configuration (defaults for anything unset or invalid)."""
    return load_checked(project)[0]


def get(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def remember_problems(conn: Any, session_id: str | None, problems: list[str], now: str) -> list[str]:
    """Record this session's configuration problems (in the caller's transaction); returns
    those not seen before in the session: the hook says so on stderr only for them."""
    new = []
    for problem in problems[:50]:
        cur = conn.execute("INSERT OR IGNORE INTO config_problems (session_id, problem, first_seen) VALUES (?, ?, ?)",
                           (session_id or "", problem[:1000], now))
        if cur.rowcount:
            new.append(problem)
    return new


def problems_line(problems: list[str]) -> str:
    """The one stderr line for a run that met configuration problems."""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{problems[0]}{more}; run `hookledger doctor`"

