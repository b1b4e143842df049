"""The redaction choke point's rules: every corpus secret found in every form text takes in
hookledger (plain, JSON, JSON inside JSON), JSON left valid, idempotent, and ordinary text
(commands, paths, prose, token counts) left alone."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from hookledger.hotpath.redact import is_secret_key, redact, scrub

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "secrets"))
from corpus import corpus  # noqa: E402

SECRETS = corpus()


def forms(text: str) -> list[str]:
    return [text, json.dumps(text), json.dumps({"command": text}), json.dumps(json.dumps({"x": text})),
            json.dumps(json.dumps(json.dumps({"x": text}))), f"error: {text}\n  at line 3", text.replace(" ", "\t")]


@pytest.mark.parametrize("secret", SECRETS, ids=[s.name for s in SECRETS])
def test_every_secret_is_found_in_every_form(secret):
    for i, form in enumerate(forms(secret.text)):
        out = redact(form)
        assert not [n for n in secret.needles if n in out], (i, out)
        assert "[REDACTED" in out
        assert redact(out) == out  # idempotent: a marker is never matched again
        if 1 <= i <= 4:
            json.loads(out)  # still valid JSON


@pytest.mark.parametrize("secret", [s for s in SECRETS if s.value], ids=[s.name for s in SECRETS if s.value])
def test_provider_keys_glued_to_word_characters(secret):
    for glued in (f"x{secret.value}", f"{secret.value}x", f"_{secret.value}_", f"id:{secret.value};"):
        assert secret.needles[0] not in redact(glued), glued


@pytest.mark.parametrize("text", [
    "npm test -- --watch=false", "mkdir -p build && cd build && cmake ..", "git commit --author=alice -m 'fix'",
    "src/components/task-list-item-renderer-component.tsx", "docker run -u 1000:1000 img", "mysql -P 3306 -h db",
    "this is a basic implementation of the token parser", "Bearer of bad news", "echo $GITHUB_TOKEN",
    '{"input_tokens": 1234, "output_tokens": 56, "max_tokens": 4096}', '{"api_key": null, "password": true}',
    "pytest tests/test_auth.py::test_login -x", "sort_key = row.id", "2026-01-01 00:00:00.000",
    "3f2a1b4c-1234-4abc-9def-0123456789ab", "git log --oneline 5e0f212a9b3c", "ls -la ~/.ssh",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


@pytest.mark.parametrize("name,secret", [
    ("api_key", True), ("PGPASSWORD", True), ("--auth-token", True), ("clientSecret", True), ('"password"', True),
    ("AWS_SECRET_ACCESS_KEY", True), ("x-api-key", True), ("private_key", True), ("key", True), ("Cookie", True),
    ("max_tokens", False), ("input_tokens", False), ("sort_key", False), ("author", False), ("keyboard", False),
    ("tool_use_id", False), ("session_id", False), ("passed", False),
])
def test_names_that_say_secret(name, secret):
    assert is_secret_key(name) is secret


def test_scrub_redacts_strings_keys_and_secret_named_values():
    data = {"tool_input": {"password": 1234, "command": SECRETS[3].text, SECRETS[10].value: "x"},
            "n": 5, "ok": True, "list": [SECRETS[0].text, None]}
    out = json.dumps(scrub(data))
    assert not [n for s in (SECRETS[0], SECRETS[3], SECRETS[10]) for n in s.needles if n in out]
    assert '"password": "[REDACTED]"' in out and '"n": 5' in out and '"ok": true' in out
