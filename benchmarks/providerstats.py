"""The provider processes' own figures for one step: CPU (in all, and per RPC kind), peak memory,
RPCs and their concurrency.

Each provider process writes ``<pid>.json`` at exit when ``TF_PROVIDER_STATS_DIR`` is set
(aep_provider/protocol/stats.py); a step gets a fresh folder, so the files in it are the
3-4 processes Terraform started for that one command.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

#: What a warm provider server (aep_provider/protocol/warm.py) logs as it exits: its own
#: CPU (preloading the provider's modules once per command), which no forked child counts.
WARM_EXIT = re.compile(rb"exiting; its own CPU \(children not counted\) (\d+) ms")


def log_offset(log: Path) -> int:
    """Where ``log`` ends now (0 when there is none yet)."""
    try:
        return log.stat().st_size
    except OSError:
        return 0


def warm_servers(log: Path, offset: int) -> list[float]:
    """CPU ms of each warm server that exited since ``offset`` of its log (``.run/warm-provider.log``)."""
    try:
        with log.open("rb") as text:
            text.seek(offset)
            return [float(ms) for ms in WARM_EXIT.findall(text.read())]
    except OSError:
        return []


def collect(folder: Path, warm_server_cpu_ms: list[float] | None = None) -> dict[str, Any]:
    """CPU summed over the step's provider processes (and the warm servers they were forked from,
    whose CPU ``warm_server_cpu_ms`` gives), the largest peak RSS, the RPCs they served."""
    docs: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            docs.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a process killed while writing: counted as missing below
    rpcs: Counter[str] = Counter()
    rpc_cpu: dict[str, float] = {}
    for doc in docs:
        rpcs.update(doc.get("rpcs") or {})
        for kind, seconds in (doc.get("rpc_cpu_seconds") or {}).items():
            rpc_cpu[kind] = rpc_cpu.get(kind, 0.0) + float(seconds)
    cpu = sum(float(d.get("cpu_user", 0.0)) + float(d.get("cpu_system", 0.0)) for d in docs)
    servers = warm_server_cpu_ms or []
    return {
        "processes": len(docs),
        "warm_started": sum(1 for d in docs if d.get("warm") is not None),  # forked by a warm provider server
        "warm_servers": len(servers),
        "warm_server_cpu_ms": round(sum(servers), 1),
        "cpu_ms": round(cpu * 1000 + sum(servers), 1),  # the servers' CPU included
        "max_rss_mb": round(max((int(d.get("max_rss_kb", 0)) for d in docs), default=0) / 1024, 1),
        "peak_rpcs_in_flight": max((int(d.get("peak_in_flight", 0)) for d in docs), default=0),
        "rpcs": dict(sorted(rpcs.items())),
        # CPU of each RPC kind's handler threads, summed over the processes; the rest of cpu_ms is
        # start-up, imports and gRPC's own threads.
        "rpc_cpu_ms": {kind: round(rpc_cpu[kind] * 1000, 1) for kind in sorted(rpc_cpu)},
    }
