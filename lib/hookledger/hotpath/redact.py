"""Secret redaction: the one choke point every stored, printed, spooled, reported or synced
text passes through (the ledger connection redacts every string it binds, see
store/conn.py; the spool, stderr, the report and the sync targets call `redact`/`scrub`).

The rules are our own, written after the rule sets of widely used secret scanners (gitleaks'
default config, trufflehog's detectors, detect-secrets' keyword plugin): provider key shapes
(Anthropic, OpenAI, AWS, Google, Stripe, GitHub, GitLab, Slack, npm, and a few more), JWTs,
Bearer/Basic/token credentials, private key blocks, credentials in URLs, `-pPASSWORD`-style
client options, `--password VALUE`-style options, and `NAME=value` / JSON / YAML assignments
whose name says password, secret, token, key or credential. Provider prefixes are matched
without a leading word boundary, so a key glued to a word (`xAKIA...`) is still found.

Redaction is greedy: a false positive costs a few characters of audit text, a false negative
leaks a credential into files that tools sync elsewhere. It is idempotent (markers are never
matched again) and keeps JSON text valid: a replaced span never swallows a quote or half an
escape, and a JSON number, true, false or null is never replaced.

Speed (every hook redacts what it stores): a rule is compiled and run only when the text holds
one of its trigger literals, found by one case-insensitive search; texts shorter than
MIN_SECRET_TEXT cannot hold a secret any rule finds and are returned untouched.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (~3 ms)

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

MARK = "[REDACTED"
MIN_SECRET_TEXT = 5  # "pwd=x": nothing shorter can hold a secret any rule finds


def _mixed(token: str) -> bool:
    """Looks generated: a digit and a letter, or both letter cases (not a plain word)."""
    has_digit = any(c.isdigit() for c in token)
    has_upper = any(c.isupper() for c in token)
    has_lower = any(c.islower() for c in token)
    return (has_digit and (has_upper or has_lower)) or (has_upper and has_lower)


def _random_looking(token: str) -> bool:
    """Upper and lower case letters and digits: a generated key, not a word or a hex digest."""
    return any(c.isdigit() for c in token) and any(c.isupper() for c in token) and any(c.islower() for c in token)


def _credential_like(token: str) -> bool:
    """A credential after Bearer/Basic/token: generated-looking, or with base64/token punctuation."""
    return len(token) >= 8 and (_mixed(token) or any(c in token for c in "+/=_.~-"))


# (name, pattern, triggers, check). A rule runs only when one of its triggers (compared
# case-insensitively) occurs in the text; `check`, when given, must accept the matched secret
# (group "s" when the pattern has one, else the whole match), or the match is left alone.
# The secret is replaced by `[REDACTED:name]`; text around group "s" is kept.
_RULES: list[tuple[str, str, tuple[str, ...], Any]] = [
    # -- key material
    ("private_key", r"-----BEGIN[ \tA-Z0-9_-]{0,100}PRIVATE[ \t]KEY(?:[ \t]BLOCK)?-----(?:[^\"\\]|\\.)*?"
                    r"(?:-----END[ \tA-Z0-9_-]{0,100}PRIVATE[ \t]KEY(?:[ \t]BLOCK)?-----|(?=\")|\Z)", ("private",), None),
    ("age_key", r"AGE-SECRET-KEY-1[0-9A-Z]{20,}", ("age-secret",), None),
    # -- provider keys and tokens (no leading \b: a key glued to a word is still a key)
    ("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{12,}", ("sk-",), None),
    ("openai_key", r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{12,}", ("sk-",), None),
    ("openai_key", r"[A-Za-z0-9_\-]*T3BlbkFJ[A-Za-z0-9_\-]*", ("t3blbkfj",), None),
    ("api_key", r"(?<![A-Za-z0-9])sk-[A-Za-z0-9]{20,}", ("sk-",), _mixed),
    ("api_key", r"sk-[A-Za-z0-9]{24,}", ("sk-",), _random_looking),
    ("aws_key", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}", ("a3t", "akia", "asia", "abia", "acca"), None),
    ("aws_bedrock_key", r"ABSK[A-Za-z0-9+/]{40,}={0,2}", ("absk",), None),
    ("google_key", r"AIza[0-9A-Za-z_\-]{30,}", ("aiza",), None),
    ("google_oauth", r"ya29\.[0-9A-Za-z_\-]{20,}", ("ya29.",), None),
    ("google_oauth", r"GOCSPX-[0-9A-Za-z_\-]{20,}", ("gocspx-",), None),
    ("stripe_key", r"(?:sk|rk|pk)_(?:live|test|prod)_[0-9A-Za-z]{10,}", ("k_live_", "k_test_", "k_prod_"), None),
    ("stripe_key", r"whsec_[0-9A-Za-z]{20,}", ("whsec_",), None),
    ("github_token", r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}", ("gh",), None),
    ("github_token", r"github_pat_[A-Za-z0-9_]{20,}", ("github_pat_",), None),
    ("gitlab_token", r"gl(?:pat|dt|ptt|rt|cbt|oas|soat|ft|imt|agent|ffct)-[0-9A-Za-z_\-]{20,}",
     ("gl",), None),
    ("gitlab_token", r"GR1348941[0-9A-Za-z_\-]{20,}", ("gr1348941",), None),
    ("slack_token", r"xox[abposre]-[0-9A-Za-z\-]{10,}", ("xox",), None),
    ("slack_token", r"xapp-\d-[0-9A-Za-z\-]{10,}", ("xapp-",), None),
    ("slack_webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,}", ("hooks.slack.com/",), None),
    ("npm_token", r"npm_[A-Za-z0-9]{30,}", ("npm_",), None),
    ("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{40,}", ("pypi-age",), None),
    ("huggingface_token", r"hf_[A-Za-z0-9]{30,}", ("hf_",), None),
    ("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}", ("sg.",), None),
    ("digitalocean_token", r"do[por]_v1_[a-f0-9]{64}", ("_v1_",), None),
    ("shopify_token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}", ("shp",), None),
    ("jwt", r"ey[A-Za-z0-9_\-]{10,}\.ey[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]*", (".ey",), None),
    # -- credentials by context
    ("auth", r"(?i)\b(?:bearer|basic|token|digest|apikey|api-key)\s+(?P<s>[A-Za-z0-9._~+/=\-]{8,})",
     ("bearer", "basic", "token", "digest", "api"), _credential_like),
    ("url_credentials", r"(?i)[a-z][a-z0-9+.\-]*://[^\s:/@\"'\\]*:(?P<s>[^\s@/\"'\\]+)@", ("://",), None),
    ("url_credentials", r"(?i)[a-z][a-z0-9+.\-]*://(?P<s>[^\s:/@\"'\\]{16,})@", ("://",), _mixed),
    ("client_password", r"(?i)\b(?:mysql\w*|mariadb\w*|mongo(?:sh|dump|restore|import|export)?|sshpass)\b"
                        r"[^\n|;&]*?\s(?-i:-p)(?:\s+(?=(?!-)\S))?(?P<s>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'\\]+)",
     ("mysql", "mariadb", "mongo", "sshpass"), None),
    ("client_password", r"\s-u\s*[^\s\"'\\]+\s+(?:-[A-Za-z]\S*\s+)*-p(?P<s>[^\s\"'\\]+)", ("-p",), None),
    ("client_password", r"(?i)\bredis-cli\b[^\n|;&]*?\s-a\s+(?P<s>[^\s\"'\\]+)", ("redis-cli",), None),
    ("user_password", r"(?:\s|^)(?:-u|--user)(?:=|\s*)[\"']?[^\s:\"'\\]+:(?P<s>[^\s\"'\\@]{3,})", ("-u",),
     lambda s: not s.isdigit()),
]
# Assignments and options whose name says secret: found by their keyword, checked in Python.
_ASSIGN_TRIGGERS = ("pass", "pwd", "secret", "token", "key", "cred", "auth", "cookie")

_triggers: tuple[tuple[str, tuple[int, ...]], ...] | None = None  # (literal, rules it enables)
_compiled: dict[int, re.Pattern[str]] = {}
_cache: dict[str, str] = {}  # recent texts -> redacted (ids and timestamps recur in every query)
_CACHE_MAX_TEXT = 256
_CACHE_MAX_ITEMS = 4096


def _trigger_index() -> tuple[tuple[str, tuple[int, ...]], ...]:
    global _triggers
    if _triggers is None:
        index: dict[str, list[int]] = {}
        for i, rule in enumerate(_RULES):
            for trigger in rule[2]:
                index.setdefault(trigger, []).append(i)
        for trigger in _ASSIGN_TRIGGERS:
            index.setdefault(trigger, []).append(-1)
        _triggers = tuple((t, tuple(rules)) for t, rules in index.items())
    return _triggers


def _pattern(i: int) -> re.Pattern[str]:
    pattern = _compiled.get(i)
    if pattern is None:
        pattern = _compiled[i] = re.compile(_RULES[i][1])
    return pattern


def _apply_rule(i: int, text: str) -> str:
    name, _, _, check = _RULES[i]
    marker = f"{MARK}:{name}]"
    pattern = _pattern(i)
    has_group = "s" in pattern.groupindex

    def replace(m: re.Match[str]) -> str:
        secret = m.group("s") if has_group else m.group(0)
        if secret is None or secret.startswith(MARK) or (check is not None and not check(secret)):
            return m.group(0)
        if not has_group:
            return marker
        start, end = m.span("s")
        quote = secret[0] if secret[:1] in "\"'" and len(secret) > 1 and secret[-1] == secret[0] else ""
        inner = f"{quote}{marker}{quote}"
        return m.group(0)[: start - m.start()] + inner + m.group(0)[end - m.start():]

    return pattern.sub(replace, text)


# ---------------------------------------------------------------- names that say secret

_STRONG = ("password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "privatekey", "accesskey")
_WEAK = frozenset({"pass", "pwd", "pw", "key", "auth", "authorization", "cookie", "creds", "cred", "sessionid",
                   "session-token", "psk", "dsn"})
# *_key names that are not secrets (a sort key, a row key...).
_PLAIN_KEYS = frozenset({"sort", "primary", "foreign", "cache", "message", "partition", "idempotency", "dedup",
                         "lookup", "row", "group", "order", "map", "dict", "hot", "public", "unique", "composite",
                         "natural", "shift", "ctrl", "alt", "meta", "press", "up", "down", "on", "by", "s", "pub"})
_NOT_SECRET_TOKENS = ("tokens", "tokeniz", "tokenis", "token_count", "tokencount", "token_type", "tokentype",
                      "token_usage", "token_limit", "token_budget", "passed", "passes", "passing", "bypass",
                      "compass", "passenger", "passive", "passport", "keyboard", "keyword", "keys", "keyframe",
                      "keychain_path", "secretary", "authors", "author", "authority", "authorize_url")
_FILE_EXTENSIONS = tuple(f".{e}" for e in (
    "py", "pyi", "js", "jsx", "mjs", "ts", "tsx", "go", "rb", "rs", "java", "kt", "c", "h", "cc", "cpp", "hpp", "cs",
    "php", "swift", "scala", "sh", "md", "txt", "json", "yml", "yaml", "toml", "ini", "cfg", "lock", "html", "css",
    "scss", "sql", "proto", "xml", "vue", "svelte", "ipynb", "log"))


def _words(name: str) -> list[str]:
    """`apiKey`, `API_KEY`, `api-key` -> ['api', 'key'] (no regex: names are short, and
    compiling one costs more than splitting a few names by hand)."""
    words: list[str] = []
    current: list[str] = []
    prev = ""
    for ch in name:
        if not ch.isalnum():
            if current:
                words.append("".join(current).lower())
                current = []
        else:
            if ch.isupper() and (prev.islower() or prev.isdigit()) and current:
                words.append("".join(current).lower())
                current = []
            current.append(ch)
        prev = ch
    if current:
        words.append("".join(current).lower())
    return words


_key_verdicts: dict[str, bool] = {}  # field names recur in every payload: each is judged once


def is_secret_key(name: str) -> bool:
    """True for a name whose value is a credential by name: `api_key`, `PGPASSWORD`,
    `--auth-token`, `clientSecret`, `"password"`; False for `max_tokens`, `sort_key`, `author`."""
    if not isinstance(name, str) or len(name) > 120:
        return False
    verdict = _key_verdicts.get(name)
    if verdict is None:
        if len(_key_verdicts) >= _CACHE_MAX_ITEMS:
            _key_verdicts.clear()
        verdict = _key_verdicts[name] = _judge_key(name)
    return verdict


def _judge_key(name: str) -> bool:
    lower = name.lower().strip("-_.\"' ")
    if not any(t in lower for t in _ASSIGN_TRIGGERS) or lower.endswith(_FILE_EXTENSIONS):
        return False  # `auth.py:12:` in a traceback names a file, not a secret
    if any(word in lower for word in _STRONG):
        cleaned = lower
        for benign in _NOT_SECRET_TOKENS:
            cleaned = cleaned.replace(benign, "_")
        if any(word in cleaned for word in _STRONG):
            return True
    words = _words(name)
    for i, word in enumerate(words):
        if word in _WEAK:
            if word == "key" and i > 0 and words[i - 1] in _PLAIN_KEYS:
                continue
            return True
        if word.endswith("key") and word[:-3] in ("api", "access", "private", "secret", "client", "signing",
                                                  "encryption", "master", "license", "session", "auth", "app",
                                                  "account", "service", "consumer", "admin", "db", "ssh"):
            return True
    return False


_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate"})  # Authorization: Bearer <- the secret follows
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_VALUE_RE: re.Pattern[str] | None = None
_OPTION_VALUE_RE: re.Pattern[str] | None = None
# A value: "double quoted" (escapes kept whole), \"escaped quotes\" (JSON inside JSON),
# 'single quoted', or a bare word up to a separator. Never a quote or a lone backslash.
_VALUE = (r"(?P<v>\"(?:[^\"\\\n]|\\.)*\"|(?P<bs>\\+)\"[^\"\\\n]*(?P=bs)\"|'[^'\n]*'"
          r"|[^\s\"'\\,;&|<>(){}\[\]`]+)")


def _value_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled on the first secret-named assignment only (most texts never need them)."""
    global _VALUE_RE, _OPTION_VALUE_RE
    if _VALUE_RE is None or _OPTION_VALUE_RE is None:
        # closing quote of a quoted name, then = : := => (with spaces around), then the value
        _VALUE_RE = re.compile(r"(?P<q>\\*[\"']?)[ \t]{0,3}(?P<sep>=>|:=|==?|:(?!:))[ \t]{0,3}" + _VALUE)
        _OPTION_VALUE_RE = re.compile(r"(?:=|[ \t]+)(?!-)" + _VALUE)
    return _VALUE_RE, _OPTION_VALUE_RE


def _keyword_hits(low: str) -> list[int]:
    """Start offsets of the assignment keywords in the lowercased text, in order."""
    hits: list[int] = []
    for word in _ASSIGN_TRIGGERS:
        at = low.find(word)
        while at >= 0:
            hits.append(at)
            at = low.find(word, at + 1)
    hits.sort()
    return hits


def _json_literal(value: str) -> bool:
    if value in ("true", "false", "null"):
        return True
    try:
        float(value)
    except ValueError:
        return False
    return value[:1].isdigit() or value[:1] == "-"


def _redact_assignments(text: str) -> str:
    """`NAME=value`, `"name": "value"`, `name: value`, `--name value`: the value goes when
    the name says secret (is_secret_key)."""
    out: list[str] = []
    done = 0  # text[:done] is settled
    n = len(text)
    for at in _keyword_hits(text.lower()):
        if at < done:
            continue
        start, end = at, at
        while start > done and text[start - 1] in _NAME_CHARS:
            start -= 1
        while end < n and text[end] in _NAME_CHARS:
            end += 1
        name = text[start:end]
        if not is_secret_key(name):
            continue
        value_re, option_re = _value_patterns()
        option = name.startswith("-")
        v = (option_re if option else value_re).match(text, end)
        if v is None and option:
            v = value_re.match(text, end)
        if v is None:
            continue
        value = v.group("v")
        if value.startswith(MARK) or value.strip("\\\"'").startswith(MARK) or value.lower() in _SCHEMES:
            continue
        if not option and v.group("sep") == ":" and _json_literal(value):
            continue  # a JSON number or literal: not a secret, and replacing it breaks the JSON
        vs, ve = v.span("v")
        escapes = v.group("bs")
        if escapes:  # \"value\" (JSON inside JSON, any depth): keep the escaped quotes
            replacement = f'{escapes}"{MARK}]{escapes}"'
        elif value[:1] in "\"'" and len(value) > 1:
            replacement = f"{value[0]}{MARK}]{value[0]}"
        else:
            replacement = f"{MARK}]"
        out.append(text[done:vs])
        out.append(replacement)
        done = ve
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def redact(text: str) -> str:
    """Return `text` with every recognised secret replaced by a `[REDACTED...]` marker."""
    if not isinstance(text, str) or len(text) < MIN_SECRET_TEXT:
        return text
    done = _cache.get(text)
    if done is not None:
        return done
    original = text
    low = text.lower()
    rules = sorted({i for literal, enabled in _trigger_index() if literal in low for i in enabled})
    if rules:
        for i in rules:
            if i >= 0:
                text = _apply_rule(i, text)
        if rules[0] == -1:
            text = _redact_assignments(text)
    if len(original) <= _CACHE_MAX_TEXT:
        if len(_cache) >= _CACHE_MAX_ITEMS:
            _cache.clear()
        _cache[original] = text
    return text


def redact_clip(text: object, limit: int) -> str | None:
    """`text` redacted, then cut to `limit` characters (None if not a string).

    Redacts a little past the cut first, so a secret straddling it is still found whole and
    never leaves half a key behind."""
    if not isinstance(text, str):
        return None
    return redact(text[: limit + 512])[:limit]


def may_hold_secret(text: str) -> bool:
    """False only when redact(text) is `text` unchanged: too short, or no rule's trigger in it.

    redact()'s own first test, for callers that handle millions of values (the warehouse
    sync) and want to skip the call and its cache for plain text."""
    if not isinstance(text, str) or len(text) < MIN_SECRET_TEXT:
        return False
    low = text.lower()
    return any(literal in low for literal, _ in _trigger_index())


def mark_redacted(text: str) -> str:
    """Note that `text` was built only from redacted parts (e.g. an audit summary), so the
    ledger's choke point need not scan it again. Returns it."""
    if len(_cache) >= _CACHE_MAX_ITEMS:
        _cache.clear()
    _cache[text] = text
    return text


def scrub(value: Any, key: str = "", depth: int = 0, *, by_name: bool = True, max_chars: int | None = None) -> Any:
    """`value` with every string redacted (dict keys too) and, with `by_name`, every
    secret-named field's value replaced, recursively: for JSON-like data (payloads, spool
    records, sync rows, the report's data). The ledger, a target or the sync source may hold
    text written before a rule existed: this is the second line for it. `max_chars` caps each
    string (redacted before it is cut), bounding the cost and the size of what is kept."""
    if by_name and key and isinstance(value, (str, int, float)) and not isinstance(value, bool) and is_secret_key(key):
        return f"{MARK}]" if value != "" else value
    if isinstance(value, str):
        if max_chars is not None and len(value) > max_chars:
            return redact(value[: max_chars + 512])[:max_chars] + f"...(+{len(value) - max_chars} chars)"
        return redact(value)
    if depth > 200:
        return "<nested>"
    if isinstance(value, dict):
        return {redact(k) if isinstance(k, str) else k: scrub(v, str(k), depth + 1, by_name=by_name, max_chars=max_chars)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, key, depth + 1, by_name=by_name, max_chars=max_chars) for v in value]
    return value
