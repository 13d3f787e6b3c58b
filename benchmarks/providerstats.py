"""The provider processes' own figures for one step: CPU, peak memory, RPCs and their concurrency.

Each provider process writes ``<pid>.json`` at exit when ``TF_PROVIDER_STATS_DIR`` is set
(flowservice_provider/protocol/stats.py); a step gets a fresh folder, so the files in it are the
3-4 processes Terraform started for that one command.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any


def collect(folder: Path) -> dict[str, Any]:
    """CPU summed over the step's provider processes, the largest peak RSS, the RPCs they served."""
    docs: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")):
        try:
            docs.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a process killed while writing: counted as missing below
    rpcs: Counter[str] = Counter()
    for doc in docs:
        rpcs.update(doc.get("rpcs") or {})
    cpu = sum(float(d.get("cpu_user", 0.0)) + float(d.get("cpu_system", 0.0)) for d in docs)
    return {
        "processes": len(docs),
        "cpu_ms": round(cpu * 1000, 1),
        "max_rss_mb": round(max((int(d.get("max_rss_kb", 0)) for d in docs), default=0) / 1024, 1),
        "peak_rpcs_in_flight": max((int(d.get("peak_in_flight", 0)) for d in docs), default=0),
        "rpcs": dict(sorted(rpcs.items())),
    }
