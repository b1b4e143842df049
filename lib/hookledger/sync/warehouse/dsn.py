"""Where the warehouse is: a libpq URL, shown without its password, connected with retries.

The URL goes to libpq as given, so everything libpq reads applies: `PG*` variables
(PGPASSWORD, PGSSLMODE, ...), `~/.pgpass` (or PGPASSFILE) and service files (`?service=name`).
hookledger never stores the URL nor prints its password: `display()` is the only form that
reaches a message, a log or the warehouse.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from hookledger.sync.warehouse.errors import Refused, Unreachable, WarehouseError

# Seconds between connection attempts: ~15 s before giving up. HOOKLEDGER_PG_RETRY_DELAYS
# ("0.1,0.2") changes it (tests; a CI runner whose database starts after the job).
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
CONNECT_TIMEOUT_S = 10  # per attempt: a host that drops packets fails like one that refuses
LOCK_TIMEOUT_MS = 5000  # a batch waiting longer on a lock gives up and is retried (HOOKLEDGER_PG_LOCK_TIMEOUT_MS)
# libpq messages that no retry will change.
_FOR_GOOD = ("authentication failed", "no password supplied", "does not exist", "pg_hba.conf", "certificate",
             "does not support ssl", "ssl is not enabled", "sslmode", "invalid connection option", "invalid uri",
             "invalid integer value", "permission denied")

Retry = Callable[[str, float], Any]  # (reason, seconds until the next attempt)


def retry_delays() -> tuple[float, ...]:
    raw = os.environ.get("HOOKLEDGER_PG_RETRY_DELAYS")
    if raw is not None:
        try:
            return tuple(max(0.0, float(p)) for p in raw.split(",") if p.strip())
        except ValueError:
            pass
    return RETRY_DELAYS


def lock_timeout_ms() -> int:
    try:
        return max(1, int(os.environ.get("HOOKLEDGER_PG_LOCK_TIMEOUT_MS", LOCK_TIMEOUT_MS)))
    except ValueError:
        return LOCK_TIMEOUT_MS


def client() -> Any:
    """The psycopg module, or a WarehouseError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise WarehouseError("the PostgreSQL client (psycopg 3) is not installed: "
                             "pip install 'hookledger[postgres]', or ./install.sh --postgres PROJECT") from None
    return psycopg


def parts(url: str) -> dict[str, str]:
    """The URL's connection parameters ({} when libpq cannot parse it)."""
    client()
    from psycopg.conninfo import conninfo_to_dict

    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except Exception:  # noqa: BLE001  (psycopg raises ProgrammingError; any failure means "unparseable")
        return {}


def display(url: str) -> str:
    """The URL without its password (or any secret option): what messages and the warehouse show."""
    p = parts(url)
    if not p:
        return "postgresql://(unparseable URL)"
    user = f"{p['user']}@" if p.get("user") else ""
    host = p.get("host", "")
    if "/" in host:
        host = ""  # a Unix socket directory: shown as an option below
    port = f":{p['port']}" if p.get("port") else ""
    shown = ("host", "sslmode", "service", "target_session_attrs")
    query = "&".join(f"{k}={p[k]}" for k in shown if p.get(k) and (k != "host" or "/" in p[k]))
    return f"postgresql://{user}{host}{port}/{p.get('dbname', '')}" + (f"?{query}" if query else "")


def has_password(url: str) -> bool:
    return bool(parts(url).get("password"))


def scrub(message: str, url: str) -> str:
    """`message` with the URL's password (and then any secret redact() knows) taken out."""
    from hookledger.hotpath.redact import redact

    password = parts(url).get("password")
    if password:
        message = message.replace(password, "[REDACTED]")
    return redact(message)


def _for_good(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _FOR_GOOD)


def _reason(exc: Exception) -> str:
    """The last line libpq gave: the one that says what went wrong."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def connect(url: str, *, on_retry: Retry | None = None, application: str = "hookledger") -> Any:
    """An autocommit psycopg connection (time zone UTC, lock_timeout set), retried with backoff.

    Raises Refused at once for what a retry cannot fix (authentication, unknown database),
    Unreachable once every attempt failed.
    """
    psycopg = client()
    from psycopg.conninfo import make_conninfo

    if not parts(url):
        raise Refused(f"cannot parse the warehouse URL {display(url)}: expected postgresql://USER@HOST:PORT/DB")
    given = parts(url)
    extra = {"application_name": application}
    if "connect_timeout" not in given:
        extra["connect_timeout"] = str(CONNECT_TIMEOUT_S)
    conninfo = make_conninfo(url, **extra)
    delays = retry_delays()
    started = time.monotonic()
    for attempt, delay in enumerate((*delays, None), start=1):
        try:
            conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.OperationalError as exc:
            reason = scrub(_reason(exc), url)
            if _for_good(exc):
                raise Refused(f"PostgreSQL at {display(url)} refused the connection: {reason}") from None
            if delay is None:
                raise Unreachable(f"cannot reach PostgreSQL at {display(url)} after {attempt} attempts over "
                                  f"{time.monotonic() - started:.1f} s: {reason}") from None
            if on_retry is not None:
                on_retry(reason, delay)
            time.sleep(delay)
            continue
        conn.execute("SET TIME ZONE 'UTC'")  # ledger timestamps are UTC text without a zone
        conn.execute(f"SET lock_timeout = {lock_timeout_ms()}")
        return conn
    raise AssertionError("unreachable")
