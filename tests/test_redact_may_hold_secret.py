"""may_hold_secret(), the warehouse sync's shortcut past the one redaction choke point, says
False only when redact() would change nothing. Checked on many generated texts and on real
payload summaries."""

from __future__ import annotations

import json
import random

from conftest import EVENTS_DIR
from hookledger.hotpath import redact as r

WORDS = ["password", "pass", "pwd", "secret", "token", "api_key", "api-key", "apikey", "access_key", "private_key",
         "client_secret", "credential", "credentials", "auth", "authorization", "session_key", "cookie",
         "my.PASSWORD", "x-auth-token", "DB_PASS", "bypassPermissions", "keyboard"]
SEPARATORS = ["=", ": ", "=\"", "':'", " = ", ":", "=\t", "\":\"", "=="]
VALUES = ["hunter22", "abc", "ab", "[REDACTED]", "s3cr3t,more", "x;y", "a&b", "'quoted'", "\"dq\"", "v.w.x",
          "--flag", "=weird=", "ÄÖÜ-unicode", "sk-ant-api03-AbCdEfGhIjKlMn"]
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.=: \"',;&/\\\n\tİKß"


def corpus(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 6)):
            if rnd.random() < 0.45:
                parts.append(rnd.choice(["", "x", "pre_", "a.b-", "--", "-", "\"", "{\""]) + rnd.choice(WORDS)
                             + rnd.choice(["", "_x", "2", "-id", "\""]) + rnd.choice(SEPARATORS) + rnd.choice(VALUES))
            else:
                parts.append("".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 40))))
        texts.append(rnd.choice([" ", "", "&", ",", "\n", ";", "/"]).join(parts))
    return texts


def real_texts() -> list[str]:
    out = []
    for path in EVENTS_DIR.glob("*.json"):
        stdin = json.loads(path.read_text())["stdin"]
        out.append(json.dumps(stdin))
        out += [v for v in stdin.values() if isinstance(v, str)]
    return out


def test_may_hold_secret_is_false_only_when_redact_changes_nothing():
    texts = corpus(10000, seed=11) + real_texts() + ["", "plain words", "İstanbul KEY=abcdef", "ﬁle token abc"]
    missed = [t for t in texts if not r.may_hold_secret(t) and r.redact(t) != t]
    assert missed == []
    assert sum(not r.may_hold_secret(t) for t in texts) > 100  # and it does clear plain text
