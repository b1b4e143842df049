"""UTC timestamps in SQLite's own text format, so they sort and parse with datetime()."""

from __future__ import annotations

import time

FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_now(t: float | None = None) -> str:
    """'YYYY-MM-DD HH:MM:SS.mmm' in UTC: the format of datetime('now') plus milliseconds."""
    if t is None:
        t = time.time()
    return time.strftime(FORMAT, time.gmtime(t)) + ".%03d" % (int(t * 1000) % 1000)


def seconds_before(now: str, seconds: float) -> str:
    """The timestamp `seconds` before `now`, in the ledger's format (string-comparable)."""
    base = parse_utc(now)
    return utc_now((base if base is not None else 0.0) - max(0.0, float(seconds)))


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).

    Arithmetic instead of time.strptime + calendar.timegm: those import _strptime, calendar
    and locale, about 2 ms on every hook that compares timestamps."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_utc(text: str | None) -> float | None:
    """Seconds since the epoch for a stored timestamp (with or without ms, 'T' or ' ', 'Z')."""
    if not text or not isinstance(text, str):
        return None
    s = text.strip().replace("T", " ").rstrip("Z")
    base, _, frac = s.partition(".")
    try:
        date, _, clock = base[:19].partition(" ")
        y, m, d = (int(p) for p in date.split("-"))
        hh, mm, ss = (int(p) for p in clock.split(":")) if clock else (0, 0, 0)
    except ValueError:
        return None
    if not (1 <= m <= 12 and 1 <= d <= 31 and 0 <= hh <= 23 and 0 <= mm <= 59 and 0 <= ss <= 61):
        return None
    secs = _days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss
    digits = "".join(ch for ch in frac if ch.isdigit())
    return secs + (float("0." + digits) if digits else 0.0)
