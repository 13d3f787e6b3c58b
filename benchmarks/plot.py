"""bench.png: seconds against N per tool, one panel per latency and operation, the floor shaded in.

Both axes are logarithmic (N from 1 to 1,000, seconds from a fraction to minutes), and each row
shares its y axis, so operations at one latency compare at a glance. The grey area under the
dashed line is the floor, what no tool on top of the API can go below. The offline series
(terraform_data, the trivial provider) make no call, so they are the same in every row.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.step import OPERATIONS

LABELS = {"create": "create", "noop": "no-op", "rotate": "token rotation", "destroy": "destroy"}
#: Series drawn as lines: (key, label, marker, colour).
LINES = (
    ("deploy", "make deploy (sharded, local state)", "o", "tab:purple"),
    ("deploy_s3", "make deploy (sharded, S3 state)", "D", "tab:pink"),
    ("terraform", "plain terraform (one state)", "s", "tab:blue"),
    ("trivial", "trivial provider (no API, one state)", "^", "tab:green"),
    ("terraform_data", "terraform_data (one state)", "v", "tab:orange"),
    ("terraform_data_k", "terraform_data (k states, sharded)", "<", "tab:brown"),
)


def _values(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [math.nan if r["seconds"].get(key) is None else float(r["seconds"][key]) for r in rows]


def write(table: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    latencies = sorted({r["latency_ms"] for r in table})
    fig, axes = plt.subplots(len(latencies), len(OPERATIONS), figsize=(4.4 * len(OPERATIONS), 3.9 * len(latencies)),
                             sharey="row", squeeze=False)
    for row, latency in enumerate(latencies):
        for col, operation in enumerate(OPERATIONS):
            ax = axes[row][col]
            rows = sorted((r for r in table if r["latency_ms"] == latency and r["operation"] == operation),
                          key=lambda r: r["n"])
            sizes = [r["n"] for r in rows]
            floor = _values(rows, "floor")
            ax.fill_between(sizes, 0, floor, color="0.88", label="floor (direct API calls, 10 at a time)")
            ax.plot(sizes, floor, "--", color="0.3", marker=".")
            for key, label, marker, colour in LINES:
                values = _values(rows, key)
                if not all(math.isnan(v) for v in values):
                    ax.plot(sizes, values, marker=marker, color=colour, label=label,
                            linestyle="none" if key == "deploy_s3" else "-")
            ax.set_title(f"{LABELS[operation]}, {latency:g} ms per request", fontsize=10)
            ax.set_xlabel("connections (N)")
            if len(sizes) > 1 and min(sizes) > 0:
                ax.set_xscale("log")
                ax.set_yscale("log")
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.grid(True, which="both", alpha=0.3)
            if col == 0:
                ax.set_ylabel("seconds")
    handles: dict[str, Any] = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc="upper center", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92 if len(latencies) > 1 else 0.86))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
