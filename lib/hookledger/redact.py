"""Secret redaction, applied before anything is written to the ledger or synced.

Patterns cover the common credential shapes (provider API keys, cloud keys, tokens, JWTs,
private key blocks, credentials in URLs, `PASSWORD=...` style assignments). Redaction is
deliberately greedy: a false positive costs a few characters of audit text, a false
negative leaks a credential into a database that tools sync elsewhere.
"""

from __future__ import annotations

import re

_SECRET_KEY_WORDS = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth(?:orization)?|session[_-]?key|cookie)"

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S),
     "[REDACTED:private_key]"),
    (re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"), "[REDACTED:anthropic_key]"),
    (re.compile(r"\bsk-(?:proj-|svcacct-|live-|test-)?[A-Za-z0-9_\-]{20,}"), "[REDACTED:api_key]"),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"), "[REDACTED:aws_key]"),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,})"),
     "[REDACTED:git_token]"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"), "[REDACTED:slack_token]"),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"), "[REDACTED:google_key]"),
    (re.compile(r"\b[rsp]k_(?:live|test)_[0-9A-Za-z]{10,}"), "[REDACTED:stripe_key]"),
    (re.compile(r"\bnpm_[A-Za-z0-9]{30,}"), "[REDACTED:npm_token]"),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), "[REDACTED:jwt]"),
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=\-]{12,}"), r"\1\2[REDACTED]"),
    # Credentials inside URLs: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@\"']+:)[^\s@/\"']+@"), r"\1[REDACTED]@"),
    # KEY=value, key: value, "key": "value", --password value
    (re.compile(r"(?i)([\w.\-]*" + _SECRET_KEY_WORDS + r"[\w.\-]*[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED)([^\s\"',;&]{3,})"),
     r"\1[REDACTED]"),
    (re.compile(r"(?i)(--?" + _SECRET_KEY_WORDS + r"[\w\-]*[ =])(?!\[REDACTED)([^\s\"']{3,})"), r"\1[REDACTED]"),
]

_SECRET_KEY_RE = re.compile(r"(?i)^[\w.\-]*" + _SECRET_KEY_WORDS + r"[\w.\-]*$")


def redact(text: str) -> str:
    """Return `text` with every recognised secret replaced by a `[REDACTED...]` marker."""
    if not text:
        return text
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(name: str) -> bool:
    """True for a mapping key whose value is a credential by name (`api_key`, `password`...)."""
    return bool(_SECRET_KEY_RE.match(name))
