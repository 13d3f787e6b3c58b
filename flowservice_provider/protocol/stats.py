"""Opt-in figures of one provider process, for benchmarks: RPCs served, peak concurrency, CPU, memory.

Set ``TF_PROVIDER_STATS_DIR`` and each provider process writes ``<dir>/<pid>.json`` as it exits.
Unset (always, in normal use), the cost is two counter updates per RPC under a lock.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter

STATS_DIR_ENV = "TF_PROVIDER_STATS_DIR"


class RpcStats:
    """Counts, wall time and peak concurrency of the RPCs one process served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self.in_flight = 0
        self.peak_in_flight = 0
        self.started = time.time()

    def begin(self) -> float:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return time.perf_counter()

    def end(self, name: str, began: float) -> None:
        elapsed = time.perf_counter() - began
        with self._lock:
            self.in_flight -= 1
            self.counts[name] += 1
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed

    def write(self, environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
        """Write this process's figures if ``TF_PROVIDER_STATS_DIR`` is set; never raises."""
        folder = environ.get(STATS_DIR_ENV)
        if not folder:
            return None
        import json  # only here: the provider's start-up path stays free of them
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        with self._lock:
            doc = {"pid": os.getpid(), "started": self.started, "ended": time.time(), "rpcs": dict(self.counts),
                   "rpc_seconds": {k: round(v, 6) for k, v in self.seconds.items()},
                   "peak_in_flight": self.peak_in_flight, "cpu_user": usage.ru_utime, "cpu_system": usage.ru_stime,
                   "max_rss_kb": usage.ru_maxrss}
        path = os.path.join(folder, f"{os.getpid()}.json")
        try:
            with open(path, "w") as out:
                out.write(json.dumps(doc))
        except OSError:
            return None
        return path


STATS = RpcStats()
