"""BENCHMARKS.md: the figures a reviewer reads in a diff, each beside its floor and the ratio."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from benchmarks.serverlog import KINDS

OPERATION_LABELS = {"create": "create", "noop": "no-op", "rotate": "token rotation", "destroy": "destroy"}


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _table(rows: list[dict[str, Any]]) -> list[str]:
    head = ["operation", "N", "cdktf s", "terraform s", "floor s", "cdktf / floor", "terraform / floor", *KINDS,
            "in flight (peak)", "provider RSS MB", "provider CPU ms / conn"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        calls = r["terraform_calls"] or {}
        cells = [OPERATION_LABELS[r["operation"]], str(r["n"]), _num(r["cdktf_s"]), _num(r["terraform_s"]),
                 _num(r["floor_s"]), _ratio(r["cdktf_ratio"]), _ratio(r["terraform_ratio"])]
        cells += [str(calls.get(kind, 0)) if r["terraform_calls"] is not None else "n/a" for kind in KINDS]
        cells += [_num(r["terraform_peak_in_flight"]), _num(r["provider_max_rss_mb"], 1),
                  _num(r["provider_cpu_ms_per_connection"], 1)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cdktf_calls_note(rows: list[dict[str, Any]]) -> str:
    differing = [r for r in rows if r["cdktf_calls"] is not None and r["cdktf_calls"] != r["terraform_calls"]]
    if not differing:
        return "`cdktf` made exactly the calls of plain terraform in every row."
    parts = [f"{OPERATION_LABELS[r['operation']]} N={r['n']}: "
             + ", ".join(f"{k} {v}" for k, v in r["cdktf_calls"].items() if v) for r in differing]
    return "`cdktf` made other calls than plain terraform in: " + "; ".join(parts) + "."


def _startup(startup: dict[str, Any]) -> list[str]:
    floor, provider, rpc = startup["floor"], startup["provider"], startup["first_rpc"]
    return [
        f"## Provider start-up ({startup['launches']} launches of each, interleaved)",
        "",
        "Terraform starts the provider 3 times per plan and 4 per apply. The floor is the venv's python "
        "running `import grpc` until it prints a line.",
        "",
        "| from exec to | median ms | p90 ms | min ms | ratio to floor (median) |",
        "|---|---|---|---|---|",
        f"| floor: `import grpc` done, line printed | {floor['median_ms']} | {floor['p90_ms']} | "
        f"{floor['min_ms']} | 1.00x |",
        f"| provider: handshake line (TLS on) | {provider['median_ms']} | {provider['p90_ms']} | "
        f"{provider['min_ms']} | {startup['ratio_median']:.2f}x (p90 {startup['ratio_p90']:.2f}x) |",
        f"| provider: first GetProviderSchema answered (TLS off*) | {rpc['median_ms']} | {rpc['p90_ms']} | "
        f"{rpc['min_ms']} | {rpc['median_ms'] / floor['median_ms']:.2f}x |",
        "",
        f"\\* {startup['first_rpc_note']}.",
        "",
    ]


def markdown(results: dict[str, Any], report_path: Path, png: Path, json_path: Path) -> str:
    meta = results["meta"]
    here = report_path.parent
    png_link = Path(os.path.relpath(png, here)).as_posix()
    json_link = Path(os.path.relpath(json_path, here)).as_posix()
    load = meta["load_average"]
    peak_load = max([load["before"], load["after"], *load.get("by_cell", {}).values()])
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{meta['command']}` on {meta['written']} in {meta['seconds']:.0f} s: {meta['cpus']} CPUs, "
        f"Python {meta['python']}, Terraform {meta['terraform']}; 1-minute load average {load['before']:.2f} "
        f"before, {load['after']:.2f} after, at most {peak_load:.2f} as a cell started (the machine has "
        f"{meta['cpus']} CPUs: above that, other work shared them). Raw figures: [{json_link}]({json_link}); "
        f"plot: [{png_link}]({png_link}).",
        "",
        f"![seconds against N]({png_link})",
        "",
        "How: the fleet app (`toolchain/apps/fleet.py`, N connections in stack `s3-fleet`) against the local "
        "Flow Service with the given latency added to every request (IMS included). Each tool runs on a fresh "
        "emulator and each step starts with a cold IMS token cache. **cdktf** runs `cdktf deploy` (create), "
        "`cdktf diff` (no-op), `cdktf deploy` with session token version 2 (rotation) and `cdktf destroy`, "
        "through `toolchain.cdk` as `make deploy` does. **terraform** runs plain terraform in the synthesized "
        "stack folder: `apply` (create), `plan -detailed-exitcode` (no-op), `apply` after re-synthesizing "
        "with version 2 (rotation), `destroy`. The **floor** makes the same API calls directly with our "
        "`FlowServiceClient`, 10 at a time (Terraform's parallelism), one IMS token each: create N POSTs, "
        "no-op N GETs, rotation N GETs then N PATCHes, destroy N GETs then N DELETEs. Calls per kind, peak "
        "in flight (Flow Service requests the server was serving at once) and provider RSS / CPU (summed "
        "over the command's provider processes, from `TF_PROVIDER_STATS_DIR`) are for the terraform run; "
        "GET is one connection, LIST the collection. At 0 ms a request lasts about a millisecond, so few "
        "overlap however many are sent at once.",
        "",
    ]
    targets = results.get("targets") or []
    if targets:
        lines += ["## Targets of the issue (reported, not enforced)", "", "| target | where | figure | limit | met |",
                  "|---|---|---|---|---|"]
        lines += [f"| {t['target']} | {t['where']} | {_num(t['value'])} | {t['limit']} | "
                  f"{'yes' if t['met'] else '**no**'} |" for t in targets]
        lines.append("")
    table = results["rows"]
    for latency in dict.fromkeys(r["latency_ms"] for r in table):
        rows = [r for r in table if r["latency_ms"] == latency]
        lines += [f"## {latency:g} ms per request", "", *_table(rows), "", _cdktf_calls_note(rows), ""]
    if results.get("startup"):
        lines += _startup(results["startup"])
    if results.get("synthesis"):
        lines += _synthesis(results["synthesis"])
    if results.get("frameworks"):
        lines += _frameworks(results["frameworks"])
    if results.get("anomalies"):
        lines += ["## Anomalies", "", *(f"- {a}" for a in results["anomalies"]), ""]
    if results.get("errors"):
        lines += ["## Failures", "", *(f"- {k}: {v}" for k, v in results["errors"].items()), ""]
    return "\n".join(lines)


def _synthesis(figures: dict[str, Any]) -> list[str]:
    seconds = figures["seconds"]
    return ["## Synthesis", "",
            f"`python app.py` of the fleet app (what the CLI runs to synthesize), best of three: N={figures['small']} "
            f"{seconds[str(figures['small'])]} s, N={figures['large']} {seconds[str(figures['large'])]} s: "
            f"**{figures['ms_per_construct']} ms per construct**.", ""]


def _frameworks(figures: dict[str, Any]) -> list[str]:
    lines = ["## CDKTF and CDK Terrain side by side", "",
             f"The fleet app with N={figures['n']} at 0 ms, through each framework's CLI (via `toolchain.cdk`), "
             "fresh emulator each. Terraform, the provider and the API calls are the same; the difference is "
             "each CLI's own cost.", ""]
    measured = figures["frameworks"]
    if measured:
        commands = list(next(iter(measured.values())))
        lines += ["| command | " + " | ".join(f"{name} s" for name in measured) + " |",
                  "|---|" + "---|" * len(measured)]
        lines += [f"| {c} | " + " | ".join(_num(measured[name][c]) for name in measured) + " |" for c in commands]
    for name in figures["missing"]:
        lines.append(f"\n{name} is not installed here (`make CDK={name} setup` installs it).")
    return [*lines, ""]
