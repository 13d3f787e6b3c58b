"""`python -m benchmarks` (`make bench`): every tool at every size and latency beside its floor, the
bound comparison, provider start-up and synthesis, then the outputs.

Writes BENCHMARKS.md at the repository root, benchmarks/results/bench.json and bench.png (with
--out-dir, all three go there). --quick (N=3 at 150 ms over 2 stacks, every tool and both state
backends, 3 pipelines over two stacks, 5 start-up launches: about a minute) is what
`make test` runs so the harness keeps working. The full run (N=1,50,200,1000 at 0 and 150 ms,
the S3 state backend at N=1000, bounds 100, 200 and 500 at N=1000 and 150 ms, then at that size
a fleet growing by N/5 and a Ctrl-C mid-create, then fleets of 250 pipelines at 150 ms,
benchmarks/pipelines.py) takes about 35 minutes on a quiet 2-core machine and stays out of CI: a
1,000-connection run takes minutes per tool (terraform_data alone, in one state, about three). A
failing run is reported and the others still run; the exit status says whether everything ran.
--render measures nothing: it writes the report again from bench.json's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_module
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

from aep_iac.mirror import launcher_path, terraform_platform, terraform_report
from aep_iac.project import ROOT, install_provider
from benchmarks import (
    figures,
    frameworks,
    grow,
    interrupt,
    pipelines,
    plot,
    report,
    scale,
    startup,
    synthesis,
    trivial_provider,
)
from benchmarks.environment import IN_FLIGHT
from benchmarks.machine import CpuWatch
from benchmarks.step import TOOLS, Step
from constructs_lib.placement import DEFAULT_BOUND

RESULTS = ROOT / "benchmarks" / "results"
T = TypeVar("T")
#: What --tools chooses from: the series of the report.
SERIES = ("deploy", "deploy_s3", *TOOLS[1:], "grow", "interrupt", "pipelines")


@dataclass(frozen=True)
class Preset:
    sizes: tuple[int, ...]
    latencies: tuple[float, ...]
    s3_sizes: tuple[int, ...]  # sizes where the sharded deploy also runs on the S3 state backend
    bound: int  # FLEET_BOUND of the sharded deploy
    bounds: tuple[int, ...]  # the bound comparison, at the largest N and latency (empty: none)
    launches: int
    synthesis: tuple[int, int]  # small and large N of the per-construct figure
    frameworks: bool  # CDKTF and CDK Terrain side by side
    #: Fleets of pipelines at the largest latency: the first is the issue's (declared targets), the
    #: others the same pipelines on the seeded target (nothing to look up), sharded.
    pipelines: tuple[pipelines.Variant, ...] = ()


#: The declared targets live in a sandbox's first stack and its other stacks look them up by name
#: (data sources aep_dataset and aep_mapping_set): the fleet with declared targets runs at the default
#: bound and at 50; the seeded-target fleet (nothing to look up) shows what the look-ups cost.
PIPELINES = 250
PIPELINE_TARGETS = 5

#: One small cell, sharded over 2 stacks, every tool and both state backends: about a minute.
QUICK = Preset(sizes=(3,), latencies=(150.0,), s3_sizes=(3,), bound=2, bounds=(), launches=5, synthesis=(1, 10),
               frameworks=False, pipelines=(pipelines.Variant(3, 2, 2), pipelines.Variant(3, 0, 2)))
FULL = Preset(sizes=(1, 50, 200, 1000), latencies=(0.0, 150.0), s3_sizes=(1000,), bound=DEFAULT_BOUND,
              bounds=(100, 200, 500), launches=30, synthesis=(1, 200), frameworks=True,
              pipelines=(pipelines.Variant(PIPELINES, PIPELINE_TARGETS, DEFAULT_BOUND),
                         pipelines.Variant(PIPELINES, PIPELINE_TARGETS, 50),
                         pipelines.Variant(PIPELINES, 0, DEFAULT_BOUND)))


def _ints(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if min(values, default=1) < 1:
        raise argparse.ArgumentTypeError("comma-separated whole numbers >= 1, e.g. 200,1000")
    return values


def _floats(text: str) -> list[float]:
    values = [float(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError("comma-separated latencies in ms >= 0, e.g. 0,150")
    return values


def _tools(text: str) -> frozenset[str]:
    chosen = frozenset(v.strip() for v in text.split(",") if v.strip())
    if not chosen or chosen - set(SERIES):
        raise argparse.ArgumentTypeError(f"comma-separated, of: {', '.join(SERIES)}")
    return chosen


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
    where = f"{step.backend}, {step.stacks} stack(s)"
    extra = f", synth {step.synth_seconds:.2f} s" if step.synth_seconds is not None else ""
    cpu = f", provider CPU {step.provider['cpu_ms'] / step.n:.1f} ms/conn" if step.provider else ""
    print(f"  {step.tool:16} {step.operation:7} N={step.n:<4} {step.latency_ms:>5g} ms  {step.seconds:8.2f} s  "
          f"({where}{extra}{cpu}) [{calls}] in flight {step.peak_in_flight}", flush=True)


@dataclass
class Plan:
    """What one run measures (from the preset and the command line)."""

    sizes: list[int]
    latencies: list[float]
    s3_sizes: list[int]
    bound: int
    bounds: list[int]
    launches: int
    tools: frozenset[str]
    preset: Preset
    pipelines: list[pipelines.Variant]


def run(plan: Plan, command: str) -> dict[str, Any]:
    """Measure everything into one results document (steps, rows, targets, start-up, failures)."""
    started = time.perf_counter()
    terraform = terraform_report()
    load_before = os.getloadavg()[0]
    steps: list[Step] = []
    errors: dict[str, str] = {}
    load_by_cell: dict[str, float] = {}  # 1-minute load average as each run starts: was the machine busy?
    cpu_by_cell: dict[str, dict[str, float | None]] = {}  # CPU the machine spent beyond ours during each run

    def jobs(where: str, todo: list[scale.Job]) -> None:
        for label, job in todo:
            cell = f"{where}: {label}"
            load_by_cell[cell] = round(os.getloadavg()[0], 2)
            print(f"== {cell} (load average {load_by_cell[cell]:.2f})", flush=True)
            watch = CpuWatch.start()
            done = _attempt(errors, cell, job) or []
            cpu_by_cell[cell] = watch.figures()
            for step in done:
                _say(step)
            steps.extend(done)

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        cli_config = install_provider(tmp / "tf")
        platform = terraform_platform(report=terraform)
        trivial_config = trivial_provider.install(tmp / "trivial-tf", platform)
        launcher = launcher_path(cli_config.parent / "mirror", platform)
        print(f"== provider start-up: {plan.launches} launches each", flush=True)
        startup_figures = _attempt(errors, "start-up", lambda: startup.measure(launcher, plan.launches))
        if startup_figures is not None:
            print(f"  floor {startup_figures['floor']['median_ms']} ms, provider "
                  f"{startup_figures['provider']['median_ms']} ms, first RPC "
                  f"{startup_figures['first_rpc']['median_ms']} ms (medians)", flush=True)
        small, large = plan.preset.synthesis
        print(f"== synthesis: N={small} and N={large}", flush=True)
        synthesis_figures = _attempt(errors, "synthesis", lambda: synthesis.measure(tmp / "synthesis", small, large))
        if synthesis_figures is not None:
            print(f"  {synthesis_figures['ms_per_construct']} ms per construct", flush=True)
        framework_figures = None
        if plan.preset.frameworks:
            print("== CDKTF and CDK Terrain side by side (N=50, 0 ms)", flush=True)
            framework_figures = _attempt(errors, "frameworks",
                                         partial(frameworks.measure, tmp / "frameworks", cli_config), keep=2000)
            if framework_figures is not None:
                print(f"  {framework_figures}", flush=True)
        for n in plan.sizes:
            jobs(f"N={n}, no network", scale.offline_runs(n, trivial_config, tmp / f"n{n}-offline", plan.bound,
                                                            plan.tools))
        for latency in plan.latencies:
            for n in plan.sizes:
                jobs(f"N={n}, {latency:g} ms", scale.network_runs(
                    n, latency, cli_config, tmp / f"n{n}-{latency:g}ms", plan.bound, n in plan.s3_sizes, plan.tools))
        n, latency = max(plan.sizes), max(plan.latencies)
        for bound in plan.bounds if "deploy" in plan.tools else []:
            if bound != plan.bound:  # the main bound's figures are the main run's
                jobs(f"N={n}, {latency:g} ms", [scale.bound_run(n, latency, cli_config, tmp / f"bound-{bound}", bound)])
        grown = None
        if "grow" in plan.tools:
            print(f"== N={n}, {latency:g} ms: N/5 connections added (a new stack), make deploy", flush=True)
            grown = _attempt(errors, "grow", lambda: grow.measure(tmp / "grow", cli_config, n, latency, plan.bound))
            if grown is not None:
                print(f"  {grown}", flush=True)
        interrupted = None
        if "interrupt" in plan.tools:
            print(f"== N={n}, {latency:g} ms: Ctrl-C mid-create, then make deploy again", flush=True)
            interrupted = _attempt(errors, "interrupt", lambda: interrupt.measure(
                tmp / "interrupt", cli_config, n, latency, plan.bound))
            if interrupted is not None:
                print(f"  {interrupted}", flush=True)
        fleets: list[dict[str, Any]] = []
        for index, variant in enumerate(plan.pipelines if "pipelines" in plan.tools else []):
            cell = f"pipelines: {variant.label}, {latency:g} ms"
            load_by_cell[cell] = round(os.getloadavg()[0], 2)
            print(f"== {cell} (load average {load_by_cell[cell]:.2f})", flush=True)
            watch = CpuWatch.start()
            fleet = _attempt(errors, cell, partial(pipelines.measure_variant, tmp / f"pipelines-{index}", cli_config,
                                                   variant, latency))
            cpu_by_cell[cell] = watch.figures()
            if fleet is not None:
                fleets.append(fleet)
                for operation in ("create", "noop"):
                    got = fleet[operation]
                    print(f"  {operation:7} {got['seconds']:8.2f} s, floor {got['floor_s']:.2f} s "
                          f"({got['ratio']:.2f}x), "
                          f"{fleet['stacks']} stack(s), {got['calls_total']} calls (floor {got['floor_calls_total']}), "
                          f"in flight {got['peak_in_flight']}", flush=True)
    table = figures.rows(steps, plan.bound)
    in_flight = int(next(iter(IN_FLIGHT.values())))
    return {
        "meta": {
            "command": command, "written": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "seconds": round(time.perf_counter() - started, 1), "sizes": plan.sizes, "latencies_ms": plan.latencies,
            "s3_sizes": plan.s3_sizes, "bound": plan.bound, "bounds_compared": plan.bounds,
            "in_flight_bound": in_flight, "tools": sorted(plan.tools),
            "cpus": os.cpu_count(), "python": platform_module.python_version(),
            "terraform": str(terraform.get("terraform_version", "unknown")),
            "load_average": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2),
                             "by_cell": load_by_cell},
            "cpu_by_cell": cpu_by_cell,
        },
        "targets": figures.targets(table, startup_figures, interrupted, fleets),
        "rows": table,
        "bounds": figures.bound_table(steps, table),
        "shares": figures.shares(table),
        "state_bytes_per_object": figures.state_sizes(table),
        "startup": startup_figures,
        "synthesis": synthesis_figures,
        "frameworks": framework_figures,
        "grow": grown,
        "interrupt": interrupted,
        "pipelines": fleets,
        "anomalies": figures.anomalies(steps, in_flight),
        "errors": errors,
        "steps": [step.as_dict() for step in steps],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=3 at 150 ms over 2 stacks, every tool, 5 start-up "
                        "launches (about a minute)")
    parser.add_argument("--sizes", type=_ints, help="connection counts N (default 1,50,200,1000)")
    parser.add_argument("--latencies", type=_floats, help="ms added per request (default 0,150)")
    parser.add_argument("--s3-sizes", type=_ints, help="sizes where the sharded deploy also runs on the S3 state "
                        "backend (default 1000; '' for none)")
    parser.add_argument("--bound", type=int, help=f"FLEET_BOUND of the sharded deploy (default {DEFAULT_BOUND}, "
                        "the placement's default)")
    parser.add_argument("--bounds", type=_ints, help="bounds compared at the largest N and latency (default "
                        "100,200,500; '' for none)")
    parser.add_argument("--tools", type=_tools, help=f"which series to measure (default all: {','.join(SERIES)})")
    parser.add_argument("--pipelines-bound", type=int, help="FLEET_BOUND of the fleet of pipelines with declared "
                        f"targets (default {DEFAULT_BOUND}, the placement's; its other stacks look the targets up)")
    parser.add_argument("--launches", type=int, help="provider start-up launches of each kind (default 30)")
    parser.add_argument("--out-dir", type=Path, help="where bench.json, bench.png (and BENCHMARKS.md) go "
                        "(default benchmarks/results, BENCHMARKS.md at the repository root)")
    parser.add_argument("--render", action="store_true", help="measure nothing: write BENCHMARKS.md and bench.png "
                        "again from the figures in bench.json (after a change to the report)")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    if args.bound is not None and args.bound < 1:
        parser.error("--bound must be 1 or more")
    if args.pipelines_bound is not None and args.pipelines_bound < 1:
        parser.error("--pipelines-bound must be 1 or more")
    fleets = list(preset.pipelines)
    if fleets and args.pipelines_bound:
        fleets[0] = pipelines.Variant(fleets[0].n, fleets[0].targets, args.pipelines_bound)
    plan = Plan(sizes=args.sizes or list(preset.sizes), latencies=args.latencies or list(preset.latencies),
                s3_sizes=list(preset.s3_sizes) if args.s3_sizes is None else args.s3_sizes,
                bound=args.bound or preset.bound,
                bounds=list(preset.bounds) if args.bounds is None else args.bounds,
                launches=args.launches or preset.launches, tools=args.tools or frozenset(SERIES), preset=preset,
                pipelines=fleets)
    out_dir = args.out_dir or RESULTS
    report_path = (args.out_dir or ROOT) / "BENCHMARKS.md"
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out_dir / "bench.json", out_dir / "bench.png"
    if args.render:
        results = json.loads(json_path.read_text())
        results["targets"] = figures.targets(results["rows"], results["startup"], results["interrupt"],
                                             results["pipelines"])
    else:
        results = run(plan, command)
    json_path.write_text(json.dumps(results, indent=2) + "\n")
    if results["rows"]:
        plot.write(results["rows"], png_path)
    report_path.write_text(report.markdown(results, report_path, png_path, json_path))
    done = "rendered from bench.json (measured in" if args.render else "done in"
    print(f"== {done} {results['meta']['seconds']:.0f} s{')' if args.render else ''} -> {report_path}, {json_path}, "
          f"{png_path}")
    for problem in [*results["anomalies"], *results["errors"]]:
        print(f"!! {problem}", file=sys.stderr)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
