"""One measured step (a command, or the floor's direct calls): wall time and the server's view of it.

Wall time is ``time.perf_counter`` around the whole thing, as a user waits for it; the calls are
counted by the server, whose request log is reset just before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from benchmarks import serverlog
from local_flowservice.testing import LocalFlowService

T = TypeVar("T")

TOOLS = ("cdktf", "terraform", "floor")
OPERATIONS = ("create", "noop", "rotate", "destroy")


@dataclass
class Step:
    """Figures of one operation by one tool at one size and latency."""

    tool: str
    operation: str
    n: int
    latency_ms: float
    command: str
    seconds: float
    calls: dict[str, int]
    failed: int
    peak_in_flight: int
    provider: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure(server: LocalFlowService, action: Callable[[], T]) -> tuple[T, float, dict[str, Any]]:
    """Run ``action`` with a fresh request log: (its result, seconds, what the server saw)."""
    server.reset_requests()
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    return result, seconds, serverlog.summarize(server.requests())
