"""The scheduler: enabled flows produce runs on their schedule, and waiting runs are executed.

A background thread ticks about once a second (`--scheduler-interval`; `--no-scheduler` leaves
only the `/__local/scheduler/*` tools). Its clock is the wall clock plus an offset that
`advance` moves forward: advancing walks the clock from one due time to the next and executes
each run at its own slot before answering, exactly what that much time would have produced. The
S3 reads of a run happen outside any database transaction.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from .core.app import LocalTool, local_body
from .core.http import Request, Response
from .flowservice.runs import Runs
from .ingest import NOT_FOUND, Ingestor, Outcome

INTERNAL = "INGEST-1500-500"
MAX_STEPS = 100_000  # due times one advance may walk through


class ScheduleClock:
    """The wall clock plus a forward-only offset; callable like `time.time`."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._wall() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def move_to(self, when: float) -> None:
        """Jump forward to `when` (never back)."""
        with self._lock:
            self._offset = max(self._offset, when - self._wall())


class Scheduler:
    def __init__(self, runs: Runs, ingestor: Ingestor, clock: ScheduleClock, interval: float | None = 1.0) -> None:
        self.runs = runs
        self.ingestor = ingestor
        self.clock = clock
        self.interval = interval
        self._lock = threading.Lock()   # one tick or advance at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- background ------------------------------------------------------------------------

    def start(self) -> None:
        if self.interval and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        assert self.interval
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must go on ticking
                traceback.print_exc(file=sys.stderr)

    # --- tools (also what the background thread calls) ---------------------------------------

    def tick(self) -> dict[str, Any]:
        """Start the due slots and execute the waiting runs, at the clock's time now."""
        with self._lock:
            executed = self._tick(self.clock())
            return self.status() | {"runs": executed}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock forward by `seconds`, executing every run that falls due on the way."""
        if seconds < 0:
            raise ValueError("the scheduler's clock only moves forward")
        with self._lock:
            target = self.clock() + seconds
            executed: list[str] = []
            for _ in range(MAX_STEPS):
                due = self.runs.next_due()
                if due is None or due > target:
                    break
                self.clock.move_to(due)
                done = self._tick(self.clock())
                if not done:
                    break  # nothing could run (a claim lost to a change): do not spin
                executed += done
            self.clock.move_to(target)
            executed += self._tick(self.clock())
            return self.status() | {"runs": executed}

    def status(self) -> dict[str, Any]:
        return {"now": round(self.clock(), 3), "offset_s": round(self.clock.offset, 3),
                "interval_s": self.interval, "background": self._thread is not None}

    # --- work --------------------------------------------------------------------------------

    def _tick(self, now: float) -> list[str]:
        for flow_id in self.runs.due_flows(now):
            self.runs.start_scheduled(flow_id, now)
        executed = []
        for run in self.runs.pending(now):
            self._execute(run)
            executed.append(str(run["id"]))
        return executed

    def _execute(self, run: dict[str, Any]) -> None:
        started = self.clock()
        work = self.runs.work(run)
        if isinstance(work, str):
            outcome = Outcome(errors=[{"code": NOT_FOUND, "message": work}])
        else:
            try:
                outcome = self.ingestor.run(work.base, work.source, work.selection, work.mapper)
            except Exception as exc:  # noqa: BLE001 - a bug in one run must not stop the others
                traceback.print_exc(file=sys.stderr)
                outcome = Outcome(errors=[{"code": INTERNAL, "message": f"The run failed: {type(exc).__name__}"}])
        self.runs.finish(str(run["id"]), outcome, started, self.clock(), None if isinstance(work, str) else work)


def scheduler_tool(scheduler: Scheduler | None) -> LocalTool:
    """`GET /__local/scheduler`, `POST /__local/scheduler/tick` and `/advance` `{"seconds": N}`."""
    def tool(req: Request, name: str) -> Response | None:
        if scheduler is None:
            return Response(404, {"error": "this server has no scheduler"})
        if name == "scheduler" and req.method == "GET":
            return Response(200, scheduler.status())
        if name == "scheduler/tick" and req.method == "POST":
            return Response(200, scheduler.tick())
        if name == "scheduler/advance" and req.method == "POST":
            seconds = local_body(req).get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise ValueError('expected {"seconds": N}')
            return Response(200, scheduler.advance(float(seconds)))
        return None
    return tool
