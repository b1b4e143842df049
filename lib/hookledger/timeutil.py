"""UTC timestamps in SQLite's own text format, so they sort and parse with datetime()."""

from __future__ import annotations

import time

FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_now(t: float | None = None) -> str:
    """'YYYY-MM-DD HH:MM:SS.mmm' in UTC: the format of datetime('now') plus milliseconds."""
    if t is None:
        t = time.time()
    return time.strftime(FORMAT, time.gmtime(t)) + ".%03d" % (int(t * 1000) % 1000)


def parse_utc(text: str | None) -> float | None:
    """Seconds since the epoch for a stored timestamp (with or without ms, 'T' or ' ', 'Z')."""
    if not text:
        return None
    import calendar

    s = text.strip().replace("T", " ").rstrip("Z")
    base, _, frac = s.partition(".")
    try:
        secs = calendar.timegm(time.strptime(base[:19], FORMAT))
    except ValueError:
        return None
    digits = "".join(ch for ch in frac if ch.isdigit())
    return secs + (float("0." + digits) if digits else 0.0)
