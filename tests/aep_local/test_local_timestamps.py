"""Request-log times: one clock reading per timestamp, and start/end times a benchmark can overlap."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import pytest

from aep_local.core import instrumentation
from aep_local.core.instrumentation import RequestLog, now_iso


def expected(epoch: float) -> str:
    moment = datetime.fromtimestamp(int(epoch * 1000) / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@pytest.mark.parametrize("epoch", [1_700_000_000.0, 1_700_000_000.0005, 1_700_000_000.9996, 1_700_000_059.999,
                                   1_767_225_599.999])
def test_given_times_are_formatted_to_the_millisecond(epoch: float) -> None:
    assert now_iso(epoch) == expected(epoch)


def test_a_second_ticking_during_the_call_cannot_make_the_time_early(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two readings that straddle a second: only the first may be used, whole.
    readings = itertools.chain([1_700_000_000.9995, 1_700_000_001.0005], itertools.repeat(1_700_000_001.0005))
    monkeypatch.setattr(instrumentation.time, "time", lambda: next(readings))
    assert now_iso() == expected(1_700_000_000.9995)


def test_entries_carry_start_and_end_from_one_reading() -> None:
    log = RequestLog()
    before = time.time()
    log.record({"method": "GET", "template": "/connections/{id}", "duration_ms": 150.0})
    after = time.time()
    [entry] = log.entries()
    assert before <= entry["ended_at"] <= after
    assert entry["ended_at"] - entry["started_at"] == pytest.approx(0.150, abs=1e-5)
    # ``ended_at`` is rounded to the microsecond; ``time`` comes from the same reading, unrounded.
    assert entry["time"] in {now_iso(entry["ended_at"] - 1e-6), now_iso(entry["ended_at"] + 1e-6)}


def test_the_callers_time_is_kept() -> None:
    log = RequestLog()
    log.record({"method": "GET", "template": "/connections", "time": "2026-01-01T00:00:00.000Z", "duration_ms": 1})
    [entry] = log.entries()
    assert entry["time"] == "2026-01-01T00:00:00.000Z"
    assert entry["started_at"] <= entry["ended_at"]
