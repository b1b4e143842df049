"""Timestamps: the arithmetic parser agrees with the C library's, and rejects what it cannot read."""

from __future__ import annotations

import calendar
import random
import time

from hookledger.hotpath.timeutil import parse_utc, utc_now


def test_parse_utc_round_trips_utc_now_across_centuries():
    rng = random.Random(7)
    for t in [0.0, 951782400.5, 4102444799.999] + [rng.uniform(-2e9, 4e9) for _ in range(5000)]:
        text = utc_now(t)
        expected = calendar.timegm(time.strptime(text[:19], "%Y-%m-%d %H:%M:%S")) + int(text[20:]) / 1000
        assert abs(parse_utc(text) - expected) < 1e-6, text


def test_parse_utc_accepts_the_forms_the_targets_and_sqlite_write():
    assert parse_utc("2026-12-01T06:15:30Z") == parse_utc("2026-12-01 06:15:30") == 1796105730.0
    assert parse_utc("2026-12-01 06:15:30.250") == 1796105730.25
    assert parse_utc("2024-02-29") == calendar.timegm((2024, 2, 29, 0, 0, 0))


def test_parse_utc_rejects_garbage_without_raising():
    for bad in (None, "", "garbage", "2026-13-01 00:00:00", "2026-12-01 25:00:00", "12/01/2026", 17):
        assert parse_utc(bad) is None
