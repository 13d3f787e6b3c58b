"""From steps to what a reader compares: one row per (latency, N, operation) with ratios to the
floor, the calls each operation should make, and the issue's targets (reported, never enforced).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from benchmarks.step import OPERATIONS, Step

#: The issue's cell for its targets ("Scale": N=200 at 150 ms).
TARGET_N = 200
TARGET_LATENCY_MS = 150.0
WRITES = ("POST", "PATCH", "DELETE")


def expected_calls(operation: str, n: int) -> dict[str, int]:
    """Connection calls an operation on ``n`` connections needs (LIST and IMS are not budgeted here)."""
    calls = {"POST": 0, "GET": 0, "PATCH": 0, "DELETE": 0}
    calls.update({"create": {"POST": n}, "noop": {"GET": n}, "rotate": {"GET": n, "PATCH": n},
                  "destroy": {"GET": n, "DELETE": n}}[operation])
    return calls


def anomalies(steps: Iterable[Step]) -> list[str]:
    """Steps whose calls differ from what the operation needs, or that saw failed requests."""
    found = []
    for step in steps:
        wanted = expected_calls(step.operation, step.n)
        made = {kind: step.calls.get(kind, 0) for kind in wanted}
        where = f"{step.tool} {step.operation}, N={step.n}, {step.latency_ms:g} ms"
        if made != wanted:
            found.append(f"{where}: calls {made}, expected {wanted}")
        if step.failed:
            found.append(f"{where}: {step.failed} request(s) failed or were retried")
        if step.provider is not None and step.provider["processes"] == 0:
            found.append(f"{where}: no provider stats file (TF_PROVIDER_STATS_DIR) was written")
    return found


def _ratio(value: float | None, floor: float | None) -> float | None:
    return round(value / floor, 2) if value is not None and floor else None


def rows(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """One row per (latency, N, operation), in run order; terraform's calls and provider figures."""
    cells: dict[tuple[float, int, str], dict[str, Step]] = {}
    for step in steps:
        cells.setdefault((step.latency_ms, step.n, step.operation), {})[step.tool] = step
    out: list[dict[str, Any]] = []
    for (latency, n, operation), by_tool in cells.items():
        cdktf, terraform, floor = by_tool.get("cdktf"), by_tool.get("terraform"), by_tool.get("floor")
        floor_s = floor.seconds if floor else None
        provider = terraform.provider if terraform and terraform.provider else None
        out.append({
            "latency_ms": latency, "n": n, "operation": operation,
            "cdktf_s": cdktf.seconds if cdktf else None,
            "terraform_s": terraform.seconds if terraform else None,
            "floor_s": floor_s,
            "cdktf_ratio": _ratio(cdktf.seconds if cdktf else None, floor_s),
            "terraform_ratio": _ratio(terraform.seconds if terraform else None, floor_s),
            "terraform_calls": terraform.calls if terraform else None,
            "cdktf_calls": cdktf.calls if cdktf else None,
            "floor_calls": floor.calls if floor else None,
            "terraform_peak_in_flight": terraform.peak_in_flight if terraform else None,
            "floor_peak_in_flight": floor.peak_in_flight if floor else None,
            "provider_max_rss_mb": provider["max_rss_mb"] if provider else None,
            "provider_cpu_ms_per_connection": round(provider["cpu_ms"] / n, 1) if provider else None,
            "provider_processes": provider["processes"] if provider else None,
        })
    order = {op: i for i, op in enumerate(OPERATIONS)}
    out.sort(key=lambda r: (r["latency_ms"], order[r["operation"]], r["n"]))
    return out


def target_cell(table: list[dict[str, Any]]) -> tuple[float, int] | None:
    """The issue's cell if it was run, else the largest N at the highest latency."""
    cells = {(r["latency_ms"], r["n"]) for r in table}
    if (TARGET_LATENCY_MS, TARGET_N) in cells:
        return TARGET_LATENCY_MS, TARGET_N
    return max(cells) if cells else None


def targets(table: list[dict[str, Any]], startup: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The issue's done-when figures against their limits: for the report, not a pass/fail."""
    out: list[dict[str, Any]] = []
    cell = target_cell(table)
    if cell is not None:
        latency, n = cell
        at = {r["operation"]: r for r in table if (r["latency_ms"], r["n"]) == cell}
        where = f"N={n}, {latency:g} ms"
        for label, operation, column, limit in (
            ("plain terraform create / floor", "create", "terraform_ratio", 1.5),
            ("plain terraform rotation / floor", "rotate", "terraform_ratio", 1.5),
            ("plain terraform destroy / floor", "destroy", "terraform_ratio", 1.5),
            ("cdktf deploy create / floor", "create", "cdktf_ratio", 2.5),
            ("cdktf no-op (diff) / floor", "noop", "cdktf_ratio", 2.5),
        ):
            value = at.get(operation, {}).get(column)
            out.append({"target": label, "where": where, "value": value, "limit": f"<= {limit}",
                        "met": value is not None and value <= limit})
        peak = at.get("create", {}).get("terraform_peak_in_flight")
        wanted = min(10, n)
        out.append({"target": "Flow Service calls in flight, plain terraform create", "where": where,
                    "value": peak, "limit": f">= {wanted}", "met": peak is not None and peak >= wanted})
    if startup:
        ratio = startup.get("ratio_median")
        out.append({"target": "provider start-up (handshake) / floor, medians", "where": "exec to handshake line",
                    "value": ratio, "limit": "<= 1.25", "met": ratio is not None and ratio <= 1.25})
    return out
