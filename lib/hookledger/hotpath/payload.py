"""Turn the bytes Claude Code wrote to stdin into a payload dict, or say why not.

Hot path: stdlib json (orjson only for very large inputs, where it pays for its import),
and a structural check driven by the shipped JSON Schema's top-level `type`/`required`
keywords. Full jsonschema validation runs in tests, `hookledger doctor`, and here only to
explain an input that already failed the cheap check.
"""

from __future__ import annotations

import json
import os
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from typing import Any

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas", "hook-payloads.json")
LARGE_INPUT = 1 << 20  # above this, orjson's faster parse outweighs its ~25 ms import

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "object": (dict,),
    "array": (list,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}


class BadInput(Exception):
    """The input cannot be processed as this event; the message is the one stderr line."""


def load_schema() -> dict[str, Any]:
    with open(SCHEMA_FILE, encoding="utf-8") as fh:
        return json.load(fh)


def decode(raw: bytes) -> Any:
    """Parse stdin bytes as JSON; raises BadInput for empty, non-UTF-8 or non-JSON input."""
    if not raw.strip():
        raise BadInput("empty input (expected one JSON object on stdin)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"input is not valid UTF-8 (byte {exc.start})") from None
    try:
        if len(raw) > LARGE_INPUT:
            try:
                import orjson

                return orjson.loads(raw)
            except ImportError:
                pass
            except orjson.JSONDecodeError as exc:
                raise BadInput(f"input is not JSON: {exc}") from None
        return json.loads(text)
    except ValueError as exc:
        raise BadInput(f"input is not JSON: {exc}") from None
    except RecursionError:
        raise BadInput("input is not JSON we can read: nested too deeply") from None


def _type_ok(value: Any, spec: dict[str, Any]) -> bool:
    kinds = spec.get("type")
    if kinds is None:
        return True
    if isinstance(kinds, str):
        kinds = [kinds]
    for kind in kinds:
        allowed = _JSON_TYPES.get(kind, ())
        if isinstance(value, allowed) and not (kind in ("integer", "number") and isinstance(value, bool)):
            return True
    return False


def check(data: Any, event: str, schema: dict[str, Any] | None = None) -> None:
    """Raise BadInput unless `data` is an object of this event with fields of the right types."""
    if not isinstance(data, dict):
        raise BadInput(f"input is a JSON {type(data).__name__.replace('dict', 'object')}, expected an object")
    name = data.get("hook_event_name")
    if name != event:  # never quote the value: bad input can carry anything, secrets included
        from hookledger.hotpath.events import EVENTS

        shown = repr(name) if name in EVENTS else _what(name)  # an event's name is safe to quote
        raise BadInput(f"hook_event_name is {shown} but this is the {event} dispatcher")
    schema = schema or load_schema()
    defs = schema["$defs"]
    parts = [defs["common"], defs.get(event, {})]
    for part in parts:
        for field in part.get("required", ()):
            if data.get(field) in (None, ""):
                raise BadInput(f"required field {field!r} is missing or empty")
        for field, spec in part.get("properties", {}).items():
            if field in data and not _type_ok(data[field], spec):
                raise BadInput(
                    f"field {field!r} should be {spec.get('type')}, got {type(data[field]).__name__}"
                )


def _what(value: Any) -> str:
    """A value described without quoting it: its JSON type (and size)."""
    if isinstance(value, str):
        return f"a string of {len(value)} characters" if value else "an empty string"
    if value is None:
        return "missing"
    kind = {"dict": "an object", "list": "an array", "bool": "a boolean", "int": "a number", "float": "a number"}
    return kind.get(type(value).__name__, type(value).__name__)


def explain(data: Any, event: str) -> str:
    """Where and why an input that failed `check` breaks the schema, from jsonschema (cold),
    without quoting the offending value (it may be a secret)."""
    try:
        import jsonschema

        schema = load_schema()
        validator = jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{event}"})
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
        if error is None:
            return ""
        where = "/".join(str(p)[:60] for p in error.absolute_path) or "<root>"
        expected = error.validator_value if error.validator in ("type", "required", "enum", "const") else None
        rule = f"{error.validator} {json.dumps(expected)[:120]}" if expected is not None else str(error.validator)
        return f"{where}: {_what(error.instance)} fails {rule}"
    except Exception:  # explanation is best effort; the cheap check already decided
        return ""


def has_lone_surrogates(raw: bytes) -> bool:
    """JSON may escape lone surrogates (\\ud800) that SQLite cannot store as UTF-8."""
    return b"\\ud" in raw or b"\\uD" in raw


def scrub_surrogates(value: Any) -> Any:
    """Replace lone surrogates throughout a decoded payload."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {scrub_surrogates(k): scrub_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_surrogates(v) for v in value]
    return value
