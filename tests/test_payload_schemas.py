"""The shipped JSON Schemas are the payload contract: every real captured payload conforms,
and the hot path's cheap check agrees with full jsonschema validation."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import fixture_names, load_fixture

from hookledger.hotpath import payload
from hookledger.hotpath.events import EVENTS
from hookledger.faces.replay import demo_sessions

SCHEMA = payload.load_schema()


def validator(event: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{event}"})


def test_schema_is_valid_and_covers_every_hooked_event():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert set(EVENTS) <= set(SCHEMA["$defs"])


@pytest.mark.parametrize("name", [n for n in fixture_names() if n.split("__")[0] in EVENTS])
def test_every_captured_payload_validates(name):
    data = load_fixture(name)
    event = data["hook_event_name"]
    validator(event).validate(data)
    payload.check(data, event, SCHEMA)  # the hot path accepts it too


@pytest.mark.parametrize("session", sorted(demo_sessions()))
def test_every_call_of_the_recorded_sessions_validates(session):
    with open(demo_sessions()[session]) as fh:
        for line in fh:
            call = json.loads(line)
            if call["event"] in EVENTS:
                validator(call["event"]).validate(call["stdin"])


BROKEN = [
    ("PreToolUse", {"hook_event_name": "PreToolUse", "session_id": "s", "tool_name": "Bash", "tool_input": "ls"}),
    ("PreToolUse", {"hook_event_name": "PreToolUse", "session_id": "s", "tool_input": {}}),
    ("Stop", {"hook_event_name": "Stop", "session_id": 7}),
    ("SubagentStart", {"hook_event_name": "SubagentStart", "session_id": "s"}),
    ("TaskCompleted", {"hook_event_name": "TaskCompleted", "session_id": "s", "task_id": ["1"]}),
    ("SessionStart", {"hook_event_name": "Stop", "session_id": "s", "source": "startup"}),
]


@pytest.mark.parametrize("event,data", BROKEN)
def test_cheap_check_and_jsonschema_agree_on_broken_payloads(event, data):
    assert list(validator(event).iter_errors(data)), "jsonschema should reject it"
    with pytest.raises(payload.BadInput):
        payload.check(data, event, SCHEMA)
