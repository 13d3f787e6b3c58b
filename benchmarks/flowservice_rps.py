"""Requests per second the local Flow Service sustains with N parallel keep-alive clients.

Usage: python benchmarks/flowservice_rps.py [OUT.json] [--clients 10] [--seconds 5]
                                            [--requests N] [--mix read,write,mixed]
Starts the emulator (local_flowservice.testing.LocalFlowService, 127.0.0.1 only, temporary
data directory), seeds connections, then for each mix runs the clients for a bounded time (or
request count) and writes requests/s, p50/p95/p99 latency and error counts to OUT.json
(default benchmarks/results/flowservice_rps.json). Clients are separate processes so the
figures measure the server, not one client process's GIL.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import requests

from flowservice_spec.s3 import CONNECTION_SPEC_ID as S3_CONNECTION_SPEC_ID
from local_flowservice.testing import LocalFlowService

ROOT = Path(__file__).resolve().parent.parent

# share of GET one / GET list / PATCH / POST per mix
MIXES: dict[str, tuple[float, float, float, float]] = {
    "read": (0.8, 0.2, 0.0, 0.0),
    "write": (0.0, 0.0, 0.7, 0.3),
    "mixed": (0.6, 0.1, 0.2, 0.1),  # roughly a Terraform refresh + apply
}


def _body(name: str) -> dict[str, Any]:
    return {"name": name, "description": "benchmark",
            "auth": {"specName": "Access Key",
                     "params": {"s3AccessKey": "AKIABENCHMARK0000000", "s3SecretKey": "secret"}},
            "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": "1.0"}}


def _client(args: tuple[int, str, dict[str, str], list[tuple[str, str]], str, float, int]) -> dict[str, Any]:
    """One client process: its own keep-alive session and its own connections (no 412s)."""
    index, flow_url, headers, owned, mix, seconds, max_requests = args
    rng = random.Random(index)  # noqa: S311 - a reproducible load, not security
    weights = MIXES[mix]
    etags = dict(owned)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    with requests.Session() as session:
        n = 0
        while time.perf_counter() < deadline and (not max_requests or n < max_requests):
            n += 1
            kind = rng.choices(("get", "list", "patch", "post"), weights)[0]
            conn_id = rng.choice(sorted(etags))
            started = time.perf_counter()
            try:
                if kind == "get":
                    resp = session.get(f"{flow_url}/connections/{conn_id}", headers=headers, timeout=30)
                elif kind == "list":
                    resp = session.get(f"{flow_url}/connections", headers=headers, timeout=30,
                                       params={"limit": "20", "property": "name>=bench-5"})
                elif kind == "patch":
                    resp = session.patch(f"{flow_url}/connections/{conn_id}", timeout=30,
                                         json=[{"op": "replace", "path": "/description", "value": f"d{n}"}],
                                         headers={**headers, "If-Match": etags[conn_id]})
                    if resp.status_code == 200:
                        etags[conn_id] = resp.json()["etag"]
                else:
                    resp = session.post(f"{flow_url}/connections", json=_body(f"bench-new-{index}-{n}"),
                                        headers=headers, timeout=30)
                status = str(resp.status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            latencies.append(time.perf_counter() - started)
            if not status.startswith("2"):
                errors[status] = errors.get(status, 0) + 1
    return {"latencies": latencies, "errors": errors}


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(out: Path, clients: int, seconds: float, max_requests: int, mixes: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {
        "clients": clients, "seconds_per_mix": seconds, "max_requests_per_client": max_requests or None,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "mixes": {},
    }
    with LocalFlowService() as svc:
        headers = svc.auth_headers()
        owned: list[list[tuple[str, str]]] = [[] for _ in range(clients)]
        with requests.Session() as session:
            for i in range(clients * 5):
                resp = session.post(svc.flow_url + "/connections", json=_body(f"bench-{i}"),
                                    headers=headers, timeout=30)
                resp.raise_for_status()
                owned[i % clients].append((resp.json()["id"], resp.json()["etag"]))
        ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        for mix in mixes:
            # fresh etags per mix: the previous mix's PATCHes moved them on
            with requests.Session() as session:
                owned = [[(c, session.get(f"{svc.flow_url}/connections/{c}", headers=headers,
                                          timeout=30).json()["items"][0]["etag"]) for c, _ in group]
                         for group in owned]
            jobs = [(i, svc.flow_url, headers, owned[i], mix, seconds, max_requests) for i in range(clients)]
            started = time.perf_counter()
            with ctx.Pool(clients) as pool:
                parts = pool.map(_client, jobs)
            elapsed = time.perf_counter() - started
            latencies = [x for p in parts for x in p["latencies"]]
            errors: dict[str, int] = {}
            for p in parts:
                for k, v in p["errors"].items():
                    errors[k] = errors.get(k, 0) + v
            busy = max(sum(p["latencies"]) for p in parts) or elapsed
            results["mixes"][mix] = {
                "weights_get_list_patch_post": MIXES[mix],
                "requests": len(latencies),
                "requests_per_second": round(len(latencies) / busy, 1),
                "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
                "p95_ms": round(_percentile(latencies, 0.95) * 1000, 2),
                "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
                "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
                "errors": errors,
            }
            print(f"{mix:>6}: {results['mixes'][mix]['requests_per_second']:8.1f} req/s  "
                  f"p50 {results['mixes'][mix]['p50_ms']} ms  p95 {results['mixes'][mix]['p95_ms']} ms  "
                  f"errors {sum(errors.values())}", flush=True)
    # flat figures too, for summaries that only show top-level scalars
    for mix, figures in results["mixes"].items():
        results[f"{mix}_requests_per_second"] = figures["requests_per_second"]
        results[f"{mix}_p95_ms"] = figures["p95_ms"]
    results["errors_total"] = sum(sum(f["errors"].values()) for f in results["mixes"].values())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", nargs="?", default=str(ROOT / "benchmarks" / "results" / "flowservice_rps.json"))
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--seconds", type=float, default=5.0, help="per mix (bounded run)")
    p.add_argument("--requests", type=int, default=0, help="per client and mix; 0 = only the time bound")
    p.add_argument("--mix", default=",".join(MIXES), help=f"comma-separated among {', '.join(MIXES)}")
    args = p.parse_args(argv)
    mixes = [m.strip() for m in args.mix.split(",") if m.strip()]
    unknown = [m for m in mixes if m not in MIXES]
    if unknown:
        p.error(f"unknown mix {unknown}")
    run(Path(args.out), args.clients, args.seconds, args.requests, mixes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
