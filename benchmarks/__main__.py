"""`python -m benchmarks` (`make bench`): every size and latency, provider start-up, then the outputs.

Writes BENCHMARKS.md at the repository root, benchmarks/results/bench.json and bench.png (with
--out-dir, all three go there). --quick (N=3 at 150 ms, 5 start-up launches: about a minute) is
what `make test` runs so the harness keeps working; the full run (N=1,50,200 at 0 and 150 ms)
takes 5-10 minutes on 2 cores and stays out of CI. A failing cell is reported and the others still run;
the exit status says whether everything ran.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from benchmarks import figures, frameworks, plot, report, scale, startup, synthesis
from benchmarks.step import Step
from toolchain.mirror import launcher_path, terraform_platform, terraform_report
from toolchain.project import ROOT, install_provider

RESULTS = ROOT / "benchmarks" / "results"
T = TypeVar("T")


@dataclass(frozen=True)
class Preset:
    sizes: tuple[int, ...]
    latencies: tuple[float, ...]
    launches: int
    synthesis: tuple[int, int]  # small and large N of the per-construct figure
    frameworks: bool  # CDKTF and CDK Terrain side by side


#: One cell: each cdktf command costs 7-9 s whatever N is, so every extra cell adds about 45 s.
QUICK = Preset(sizes=(3,), latencies=(150.0,), launches=5, synthesis=(1, 10), frameworks=False)
FULL = Preset(sizes=(1, 50, 200), latencies=(0.0, 150.0), launches=30, synthesis=(1, 200), frameworks=True)


def _ints(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("comma-separated sizes >= 1, e.g. 1,50,200")
    return values


def _floats(text: str) -> list[float]:
    values = [float(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError("comma-separated latencies in ms >= 0, e.g. 0,150")
    return values


def _attempt(errors: dict[str, str], section: str, measure: Callable[[], T], keep: int = 3000) -> T | None:
    """Run one section of the benchmark; a failure is reported (the end of its message kept) and the
    other sections still run."""
    try:
        return measure()
    except Exception as exc:  # noqa: BLE001 - reported; the other figures still count
        errors[section] = f"{type(exc).__name__}: {str(exc)[-keep:]}"
        traceback.print_exc()
        return None


def _say(step: Step) -> None:
    calls = " ".join(f"{k} {v}" for k, v in step.calls.items() if v)
    print(f"  {step.tool:9} {step.operation:7} N={step.n:<4} {step.latency_ms:>5g} ms  {step.seconds:7.2f} s  "
          f"[{calls}] in flight {step.peak_in_flight}", flush=True)


def run(sizes: list[int], latencies: list[float], launches: int, command: str,
        preset: Preset = FULL) -> dict[str, Any]:
    """Measure everything into one results document (steps, rows, targets, start-up, failures)."""
    started = time.perf_counter()
    terraform = terraform_report()
    load_before = os.getloadavg()[0]
    steps: list[Step] = []
    errors: dict[str, str] = {}
    load_by_cell: dict[str, float] = {}  # 1-minute load average as each cell starts: was the machine busy?
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        cli_config = install_provider(tmp / "tf")
        launcher = launcher_path(cli_config.parent / "mirror", terraform_platform(report=terraform))
        print(f"== provider start-up: {launches} launches each", flush=True)
        startup_figures = _attempt(errors, "start-up", lambda: startup.measure(launcher, launches))
        if startup_figures is not None:
            print(f"  floor {startup_figures['floor']['median_ms']} ms, provider "
                  f"{startup_figures['provider']['median_ms']} ms, first RPC "
                  f"{startup_figures['first_rpc']['median_ms']} ms (medians)", flush=True)
        small, large = preset.synthesis
        print(f"== synthesis: N={small} and N={large}", flush=True)
        synthesis_figures = _attempt(errors, "synthesis", lambda: synthesis.measure(tmp / "synthesis", small, large))
        if synthesis_figures is not None:
            print(f"  {synthesis_figures['ms_per_construct']} ms per construct", flush=True)
        framework_figures = None
        if preset.frameworks:
            print("== CDKTF and CDK Terrain side by side (N=50, 0 ms)", flush=True)
            framework_figures = _attempt(errors, "frameworks",
                                         partial(frameworks.measure, tmp / "frameworks", cli_config), keep=2000)
            if framework_figures is not None:
                print(f"  {framework_figures}", flush=True)
        for latency in latencies:
            for n in sizes:
                cell = f"N={n}, {latency:g} ms"
                load_by_cell[cell] = round(os.getloadavg()[0], 2)
                print(f"== {cell} (load average {os.getloadavg()[0]:.2f})", flush=True)
                steps += _attempt(errors, cell, partial(scale.measure, n, latency, cli_config,
                                                        tmp / f"n{n}-{latency:g}ms", _say)) or []
    table = figures.rows(steps)
    return {
        "meta": {
            "command": command, "written": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "seconds": round(time.perf_counter() - started, 1), "sizes": sizes, "latencies_ms": latencies,
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "terraform": str(terraform.get("terraform_version", "unknown")),
            "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2),
                             "by_cell": load_by_cell},
        },
        "targets": figures.targets(table, startup_figures),
        "rows": table,
        "startup": startup_figures,
        "synthesis": synthesis_figures,
        "frameworks": framework_figures,
        "anomalies": figures.anomalies(steps),
        "errors": errors,
        "steps": [step.as_dict() for step in steps],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=3 at 150 ms, 5 start-up launches (about a minute)")
    parser.add_argument("--sizes", type=_ints, help="connection counts N (default 1,50,200)")
    parser.add_argument("--latencies", type=_floats, help="ms added per request (default 0,150)")
    parser.add_argument("--launches", type=int, help="provider start-up launches of each kind (default 30)")
    parser.add_argument("--out-dir", type=Path, help="where bench.json, bench.png (and BENCHMARKS.md) go "
                        "(default benchmarks/results, BENCHMARKS.md at the repository root)")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    sizes = args.sizes or list(preset.sizes)
    latencies = args.latencies or list(preset.latencies)
    launches = args.launches or preset.launches
    out_dir = args.out_dir or RESULTS
    report_path = (args.out_dir or ROOT) / "BENCHMARKS.md"
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])

    results = run(sizes, latencies, launches, command, preset)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / "bench.json", out_dir / "bench.png"
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    if results["rows"]:
        plot.write(results["rows"], png_path)
    report_path.write_text(report.markdown(results, report_path, png_path, json_path))
    print(f"== done in {results['meta']['seconds']:.0f} s -> {report_path}, {json_path}, {png_path}")
    for problem in [*results["anomalies"], *results["errors"]]:
        print(f"!! {problem}", file=sys.stderr)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
