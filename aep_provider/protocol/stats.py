"""Opt-in figures of one provider process, for benchmarks: RPCs served, peak concurrency, CPU (per
RPC kind, from each handler thread's own clock), memory.

Set ``TF_PROVIDER_STATS_DIR`` and each provider process writes ``<dir>/<pid>.json`` as it exits;
set ``TF_PROVIDER_PROFILE_DIR`` too and every RPC also runs under ``cProfile`` (one profile per
handler thread), written as ``<dir>/<pid>.prof`` (pstats) for a look at where the time goes.
Unset (always, in normal use), the cost is two counter updates per RPC under a lock.

A process forked by a warm server (``warm.py``) adds its launcher's CPU (the process Terraform
started, measured as one figure) to ``cpu_user``, and says so under ``warm``: the launcher's pid
and CPU, the server's pid, its own CPU, and the modules it still had to import after the fork.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from typing import Any

STATS_DIR_ENV = "TF_PROVIDER_STATS_DIR"
PROFILE_DIR_ENV = "TF_PROVIDER_PROFILE_DIR"


class RpcStats:
    """Counts, wall time and peak concurrency of the RPCs one process served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Start over, reading the environment again (a warm server's child, just forked)."""
        self.counts: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._profiling = bool(os.environ.get(PROFILE_DIR_ENV))
        self._profiles: list[Any] = []
        self._local = threading.local()
        self.in_flight = 0
        self.peak_in_flight = 0
        self.started = time.time()
        self.warm: dict[str, float] | None = None  # set in a warm server's child: its launcher and server
        self.preloaded: frozenset[str] = frozenset()

    def begin(self) -> tuple[float, float]:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        if self._profiling:
            self._profile().enable()
        return time.perf_counter(), time.thread_time()

    def end(self, name: str, began: tuple[float, float]) -> None:
        elapsed, cpu = time.perf_counter() - began[0], time.thread_time() - began[1]
        if self._profiling:
            self._profile().disable()
        with self._lock:
            self.in_flight -= 1
            self.counts[name] += 1
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
            self.cpu[name] = self.cpu.get(name, 0.0) + cpu

    def _profile(self) -> Any:
        """This handler thread's profiler (cProfile profiles one thread at a time)."""
        profile = getattr(self._local, "profile", None)
        if profile is None:
            import cProfile

            profile = self._local.profile = cProfile.Profile()
            with self._lock:
                self._profiles.append(profile)
        return profile

    def write(self, environ: dict[str, str] | os._Environ[str] = os.environ) -> str | None:
        """Write this process's figures if ``TF_PROVIDER_STATS_DIR`` is set; never raises."""
        folder = environ.get(STATS_DIR_ENV)
        if not folder:
            return None
        import json  # only here: the provider's start-up path stays free of them
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        warm = self.warm or {}
        with self._lock:
            doc = {"pid": os.getpid(), "started": self.started, "ended": time.time(), "rpcs": dict(self.counts),
                   "rpc_seconds": {k: round(v, 6) for k, v in self.seconds.items()},
                   "rpc_cpu_seconds": {k: round(v, 6) for k, v in self.cpu.items()},
                   "peak_in_flight": self.peak_in_flight,
                   "cpu_user": usage.ru_utime + warm.get("launcher_cpu", 0.0), "cpu_system": usage.ru_stime,
                   "max_rss_kb": usage.ru_maxrss}
        if self.warm is not None:
            doc["warm"] = {**self.warm, "child_cpu_user": usage.ru_utime, "child_cpu_system": usage.ru_stime,
                           "imported_after_fork": sorted(set(sys.modules) - self.preloaded)}
        path = os.path.join(folder, f"{os.getpid()}.json")
        try:
            with open(path, "w") as out:
                out.write(json.dumps(doc))
            profile_dir = environ.get(PROFILE_DIR_ENV)
            if profile_dir and self._profiles:
                import pstats

                merged = pstats.Stats(self._profiles[0])
                for profile in self._profiles[1:]:
                    merged.add(profile)
                merged.dump_stats(os.path.join(profile_dir, f"{os.getpid()}.prof"))
        except (OSError, TypeError):
            return None
        return path


STATS = RpcStats()
