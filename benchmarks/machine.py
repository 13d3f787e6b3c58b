"""Was the machine ours during a run? CPU time the whole machine spent against what this process and
its children spent, from ``/proc/stat`` and ``getrusage``.

The 1-minute load average (what the report gives as each run starts) also carries the load of
the run before it: k stacks side by side make a load of 10 on their own. The CPU the machine
spent beyond ours, over the run's wall time, says how much other work shared the CPUs. Ours is
this process and every child it (or its children) waited for: terraform, the providers, the
emulator, the S3 server. Linux only; elsewhere the figures are None.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine() -> tuple[float, float] | None:
    """Seconds of busy CPU (user, nice, system, irq, softirq) and of steal, over all CPUs, since boot."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / _TICK, steal / _TICK


def _ours() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class CpuWatch:
    """``watch = CpuWatch.start()``, the run, then ``watch.figures()``."""

    started: float
    machine: tuple[float, float] | None
    ours: float

    @classmethod
    def start(cls) -> CpuWatch:
        return cls(time.monotonic(), _machine(), _ours())

    def figures(self) -> dict[str, float | None]:
        """Wall seconds, our CPU seconds, the others' CPU seconds and their average share of a CPU."""
        wall = time.monotonic() - self.started
        ours = _ours() - self.ours
        now = _machine()
        if self.machine is None or now is None or wall <= 0:
            return {"wall_s": round(wall, 1), "ours_cpu_s": round(ours, 1), "others_cpu_s": None,
                    "others_cpus": None, "steal_cpu_s": None}
        others = max(0.0, now[0] - self.machine[0] - ours)
        return {"wall_s": round(wall, 1), "ours_cpu_s": round(ours, 1), "others_cpu_s": round(others, 1),
                "others_cpus": round(others / wall, 2), "steal_cpu_s": round(now[1] - self.machine[1], 1)}
