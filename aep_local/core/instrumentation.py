"""What tests observe and perturb: a request log, counters, latency and fault injection.

Nothing secret is recorded: no bodies, no tokens, and credential-like query keys are redacted.
All of it lives in memory; a restart starts a fresh log (the data itself is durable).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

REDACTED_QUERY_KEYS = frozenset({"client_secret", "access_token", "token", "code",
                                 "refresh_token", "password"})
FAULT_KINDS = ("429", "500", "503", "reset", "commit-drop")


class RequestLog:
    """Thread-safe record of every request and per-route counters.

    Each entry also gets ``started_at`` and ``ended_at`` (Unix seconds, microseconds kept), taken
    from one clock reading when it is recorded (the request's end) minus its ``duration_ms``: a
    benchmark reads from them how many requests overlapped.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._counters: Counter[str] = Counter()
        self._seq = 0
        self._in_flight = 0

    def begin(self) -> None:
        """A request arrived; :meth:`record` ends it. A client that died leaves its requests running
        here, so tests wait for :meth:`in_flight` to reach 0 before they count what was done."""
        with self._lock:
            self._in_flight += 1

    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def record(self, entry: dict[str, Any]) -> None:
        ended = time.time()
        query = entry.get("query") or {}
        entry["query"] = {k: (["***"] if k in REDACTED_QUERY_KEYS else v) for k, v in query.items()}
        entry.setdefault("time", now_iso(ended))
        duration = entry.get("duration_ms")
        seconds = duration / 1000.0 if isinstance(duration, int | float) else 0.0
        entry["started_at"] = round(ended - seconds, 6)
        entry["ended_at"] = round(ended, 6)
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            self._counters[f"{entry['method']} {entry['template']}"] += 1

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._entries]

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._counters.clear()


@dataclass
class FaultConfig:
    """Latency and faults; `script` forces the next matching requests' outcomes in order."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: ["503"])
    seed: int | None = None
    retry_after: int = 1
    methods: list[str] = field(default_factory=list)     # empty = all
    templates: list[str] = field(default_factory=list)   # empty = all Flow and IMS routes
    script: list[str] = field(default_factory=list)

    def validate(self) -> None:
        for kind in [*self.kinds, *self.script]:
            if kind not in FAULT_KINDS and kind != "ok":
                raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}, ok")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be within [0, 1]")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency must not be negative")


class Faults:
    """Decides, per request, the extra latency and the fault to inject (or none)."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = FaultConfig()
        self._rng = random.Random()  # noqa: S311 - reproducible test faults, not security
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        config.validate()
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)  # noqa: S311 - seeded on purpose

    def update(self, changes: dict[str, Any]) -> FaultConfig:
        """Merge a partial JSON document into the current settings."""
        with self._lock:
            current = asdict(self._config)
        unknown = set(changes) - set(current)
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        current.update(changes)
        config = FaultConfig(**current)
        self.configure(config)
        return config

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._config)

    def decide(self, method: str, template: str) -> tuple[float, str | None]:
        """(seconds to sleep, fault kind or None) for one request."""
        with self._lock:
            cfg = self._config
            if cfg.methods and method not in cfg.methods:
                return 0.0, None
            if cfg.templates and template not in cfg.templates:
                return 0.0, None
            delay = cfg.latency_ms / 1000.0
            if cfg.jitter_ms:
                delay += self._rng.uniform(0, cfg.jitter_ms) / 1000.0
            kind: str | None = None
            if cfg.script:
                kind = cfg.script.pop(0)
                kind = None if kind == "ok" else kind
            elif cfg.rate and self._rng.random() < cfg.rate:
                kind = self._rng.choice(cfg.kinds) if cfg.kinds else "503"
            return delay, kind

    @property
    def retry_after(self) -> int:
        with self._lock:
            return self._config.retry_after


def now_iso(now: float | None = None) -> str:
    """UTC time with milliseconds, ``2026-01-31T12:00:00.123Z``, from one clock reading.

    Seconds and milliseconds must come from the same reading: read apart, a second that ticks
    between the reads makes the time up to a second early (12:00:00.001 for 12:00:01.001).
    """
    millis = int((time.time() if now is None else now) * 1000)
    seconds, fraction = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:03d}Z"
