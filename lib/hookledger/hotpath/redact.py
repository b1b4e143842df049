"""Secret redaction, applied before anything is written to the ledger or synced.

Patterns cover the common credential shapes (provider API keys, cloud keys, tokens, JWTs,
private key blocks, credentials in URLs, `PASSWORD=...` style assignments). Redaction is
deliberately greedy: a false positive costs a few characters of audit text, a false
negative leaks a credential into a database that tools sync elsewhere.
"""

from __future__ import annotations

import re

_SECRET_KEY_RE: "re.Pattern[str] | None" = None

_SECRET_KEY_WORDS = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth(?:orization)?|session[_-]?key|cookie)"

# (pattern, replacement, literal triggers, lowercase triggers). A rule is compiled and run only
# when the text contains one of its triggers: every hook redacts its payload summary, and
# compiling all the patterns up front costs ~2 ms per hook for text that rarely holds a secret.
# The triggers are necessary conditions of a match, so skipping a rule never misses a secret.
_KEY_TRIGGERS = ("pass", "pwd", "secret", "token", "key", "credential", "auth", "cookie")
_RULES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    (r"(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
     "[REDACTED:private_key]", ("PRIVATE KEY-----",), ()),
    (r"\bsk-ant-[A-Za-z0-9_\-]{8,}", "[REDACTED:anthropic_key]", ("sk-ant-",), ()),
    (r"\bsk-(?:proj-|svcacct-|live-|test-)?[A-Za-z0-9_\-]{20,}", "[REDACTED:api_key]", ("sk-",), ()),
    (r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b", "[REDACTED:aws_key]", ("AKIA", "ASIA", "AGPA", "AIDA", "AROA"), ()),
    (r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,})",
     "[REDACTED:git_token]", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-"), ()),
    (r"\bxox[abprs]-[A-Za-z0-9\-]{10,}", "[REDACTED:slack_token]", ("xox",), ()),
    (r"\bAIza[0-9A-Za-z_\-]{30,}", "[REDACTED:google_key]", ("AIza",), ()),
    (r"\b[rsp]k_(?:live|test)_[0-9A-Za-z]{10,}", "[REDACTED:stripe_key]", ("k_live_", "k_test_"), ()),
    (r"\bnpm_[A-Za-z0-9]{30,}", "[REDACTED:npm_token]", ("npm_",), ()),
    (r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", "[REDACTED:jwt]", ("eyJ",), ()),
    (r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=\-]{12,}", r"\1\2[REDACTED]", (), ("bearer", "basic", "token")),
    # Credentials inside URLs: scheme://user:password@host
    (r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@\"']+:)[^\s@/\"']+@", r"\1[REDACTED]@", ("://",), ()),
    # KEY=value, key: value, "key": "value", --password value. The match can only start where a
    # run of key characters starts (a match inside one extends to its start, which the scan
    # reaches first): the lookbehind says so, and spares the quadratic retries inside long runs.
    (r"(?i)(?<![\w.\-])([\w.\-]*" + _SECRET_KEY_WORDS + r"[\w.\-]*[\"']?\s*[:=]\s*[\"']?)(?!\[REDACTED)([^\s\"',;&]{3,})",
     r"\1[REDACTED]", (), _KEY_TRIGGERS),
    (r"(?i)(--?" + _SECRET_KEY_WORDS + r"[\w\-]*[ =])(?!\[REDACTED)([^\s\"']{3,})", r"\1[REDACTED]", (), _KEY_TRIGGERS),
]
_compiled: dict[int, re.Pattern[str]] = {}
_ANY_TRIGGER_RE: "re.Pattern[str] | None" = None


def _pattern(i: int) -> re.Pattern[str]:
    pattern = _compiled.get(i)
    if pattern is None:
        pattern = _compiled[i] = re.compile(_RULES[i][0])
    return pattern


def redact(text: str) -> str:
    """Return `text` with every recognised secret replaced by a `[REDACTED...]` marker."""
    if not text:
        return text
    lower = None
    for i, (_, replacement, literal, folded) in enumerate(_RULES):
        if literal and not any(t in text for t in literal):
            continue
        if folded:
            lower = text.lower() if lower is None else lower
            if not any(t in lower for t in folded):
                continue
        text = _pattern(i).sub(replacement, text)
        lower = None  # the text changed
    return text


def may_hold_secret(text: str) -> bool:
    """False only when redact(text) is `text` unchanged: no rule's trigger occurs in it.

    One regex scan of the lowercased text instead of redact()'s loop over the rules, for
    callers that redact millions of values (the warehouse sync); compiled on first use, so
    never on a hook. Every trigger is looked for in lowercase: a superset of redact()'s test
    (a literal trigger in the text is also in its lowercase form), so True may be a false alarm,
    False never is."""
    global _ANY_TRIGGER_RE
    if not text:
        return False
    if _ANY_TRIGGER_RE is None:
        triggers = {t.lower() for _, _, literal, folded in _RULES for t in (*literal, *folded)}
        minimal = sorted(t for t in triggers if not any(o != t and o in t for o in triggers))
        _ANY_TRIGGER_RE = re.compile("|".join(map(re.escape, minimal)))
    return _ANY_TRIGGER_RE.search(text.lower()) is not None


def is_secret_key(name: str) -> bool:
    """True for a mapping key whose value is a credential by name (`api_key`, `password`...)."""
    global _SECRET_KEY_RE
    lower = name.lower()
    if not any(t in lower for t in _KEY_TRIGGERS):
        return False
    if _SECRET_KEY_RE is None:
        _SECRET_KEY_RE = re.compile(r"(?i)^[\w.\-]*" + _SECRET_KEY_WORDS + r"[\w.\-]*$")
    return bool(_SECRET_KEY_RE.match(name))
