"""Ledger values -> the warehouse column's PostgreSQL type, redacted on the way out.

SQLite stores whatever it was given; PostgreSQL refuses a batch for one bad value. So every
value is made to fit its column: integers and flags coerced (NULL when they cannot be), times
checked (NULL when unreadable), JSON checked (kept as jsonb when valid, else stored as a JSON
string), NUL characters dropped (text and jsonb cannot hold them). Every text goes through
hookledger's redaction whatever the ledger already did: this is the last point before the data
leaves the machine. JSON is redacted value by value, as sync.base.scrub does (every string and
key through redact(), values of secret-named keys blanked): the JSON stays valid, and redact()
never runs its key=value rule over a whole document. Speed matters (a first sync may convert
millions of rows): `may_hold_secret` skips redact() for text without any rule's trigger, and
short values that repeat (session ids, event names, JSON keys) are redacted once per sync.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from hookledger.hotpath.redact import is_secret_key, may_hold_secret, redact
from hookledger.hotpath.timeutil import parse_utc

Convert = Callable[[Any], Any]
_CACHE_MAX_LEN = 80  # values up to this long are memoised (ids, names); longer ones are mostly unique
_CACHE_MAX = 200_000


class Converter:
    """Per-sync conversion functions (they share a memo of redacted short texts)."""

    def __init__(self) -> None:
        self._memo: dict[str, str] = {}
        self._keys: dict[str, tuple[str, bool]] = {}

    # -- by PostgreSQL type

    def for_type(self, pg_type: str) -> Convert:
        kind = pg_type.lower()
        if kind in ("bigint", "integer", "smallint"):
            return to_int
        if kind == "boolean":
            return to_bool
        if kind in ("double precision", "real") or kind.startswith("numeric"):
            return to_float
        if kind.startswith("timestamp"):
            return to_timestamp
        if kind in ("jsonb", "json"):
            return self.to_json
        return self.to_text

    # -- text and JSON

    def clean(self, text: str) -> str:
        """Redacted text without NUL characters (memoised for short values)."""
        if len(text) <= _CACHE_MAX_LEN:
            hit = self._memo.get(text)
            if hit is None:
                if len(self._memo) >= _CACHE_MAX:
                    self._memo.clear()
                hit = self._memo[text] = self._clean(text)
            return hit
        return self._clean(text)

    @staticmethod
    def _clean(text: str) -> str:
        if "\x00" in text:
            text = text.replace("\x00", "")
        return redact(text) if may_hold_secret(text) else text

    def to_text(self, value: Any) -> str | None:
        if value is None:
            return None
        if type(value) is not str:
            value = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        return self.clean(value)

    def to_json(self, value: Any) -> str | None:
        """JSON text for a jsonb column: the ledger's JSON, redacted; anything else as a JSON string."""
        if value is None:
            return None
        if type(value) is not str:
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            else:
                return orjson.dumps(value).decode() if _finite(value) else None
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return orjson.dumps(self.clean(value)).decode()  # truncated summaries, plain text: a JSON string
        scrubbed = self._scrub(parsed)
        if scrubbed != parsed:  # a secret, or a NUL (jsonb refuses \u0000): write it anew
            return orjson.dumps(scrubbed).decode()
        return value

    def _key(self, key: str) -> tuple[str, bool]:
        """(the key redacted, whether its value is a secret by name), memoised: keys repeat."""
        known = self._keys.get(key)
        if known is None:
            if len(self._keys) >= _CACHE_MAX:
                self._keys.clear()
            known = self._keys[key] = (self.clean(key), is_secret_key(key))
        return known

    def _scrub(self, value: Any, key: str = "") -> Any:
        """`value` with every string and key redacted and values of secret-named keys blanked.
        Written for speed (a first sync walks a million documents): one call per container,
        memo lookups inline."""
        kind = type(value)
        if kind is dict:
            out = {}
            keys, memo = self._keys, self._memo
            for k, v in value.items():
                name, secret = keys.get(k) or self._key(k)
                vk = type(v)
                if vk is str:
                    v = "[REDACTED]" if secret else (memo.get(v) or self.clean(v))
                elif vk is int or vk is float:
                    if secret:
                        v = "[REDACTED]"
                elif vk is dict or vk is list:
                    v = self._scrub(v, k)
                out[name] = v
            return out
        if kind is list:
            return [self._scrub(v, key) for v in value]
        if key and (kind is str or kind is int or kind is float) and self._key(key)[1]:
            return "[REDACTED]"  # a list item under a secret-named key
        if kind is str:
            return self.clean(value)
        return value


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


def to_int(value: Any) -> int | None:
    if value is None or type(value) is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None


def to_bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("1", "true", "t", "yes", "y"):
        return True
    if text in ("0", "false", "f", "no", "n", ""):
        return False
    return None


def to_float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def to_timestamp(value: Any) -> str | None:
    """The ledger's UTC text as is when it reads as a time (the session time zone is UTC),
    seconds since the epoch as UTC text, anything else NULL."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value) or not 0 <= value < 253402300800:
            return None
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(value)) + "+00"
    text = str(value).strip()
    try:
        datetime.fromisoformat(text)
        return text
    except ValueError:
        pass
    secs = parse_utc(text)
    if secs is None or not -62135596800 <= secs < 253402300800:
        return None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(secs))) + ("%.6f" % (secs % 1))[1:] + "+00"
