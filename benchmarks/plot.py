"""bench.png: seconds against N, one panel per latency and operation, the floor shaded in.

Each panel shares its row's y axis, so operations at one latency compare at a glance; the grey
area under the dashed line is the floor, what no tool on top of the API can go below.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.step import OPERATIONS

LABELS = {"create": "create", "noop": "no-op", "rotate": "token rotation", "destroy": "destroy"}


def _values(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [math.nan if r[key] is None else float(r[key]) for r in rows]


def write(table: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latencies = sorted({r["latency_ms"] for r in table})
    fig, axes = plt.subplots(len(latencies), len(OPERATIONS), figsize=(4.2 * len(OPERATIONS), 3.6 * len(latencies)),
                             sharey="row", squeeze=False)
    for row, latency in enumerate(latencies):
        for col, operation in enumerate(OPERATIONS):
            ax = axes[row][col]
            rows = sorted((r for r in table if r["latency_ms"] == latency and r["operation"] == operation),
                          key=lambda r: r["n"])
            sizes = [r["n"] for r in rows]
            floor = _values(rows, "floor_s")
            ax.fill_between(sizes, 0, floor, color="0.88", label="floor (direct API calls)")
            ax.plot(sizes, floor, "--", color="0.3", marker=".")
            ax.plot(sizes, _values(rows, "cdktf_s"), marker="o", color="tab:purple", label="cdktf deploy")
            ax.plot(sizes, _values(rows, "terraform_s"), marker="s", color="tab:blue", label="plain terraform")
            ax.set_title(f"{LABELS[operation]}, {latency:g} ms per request", fontsize=10)
            ax.set_xlabel("connections (N)")
            ax.set_xticks(sizes)
            ax.grid(True, alpha=0.3)
            if col == 0:
                ax.set_ylabel("seconds")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
