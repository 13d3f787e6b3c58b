"""`python -m benchmarks` (`make bench`): every benchmark, figures into benchmarks/results/.

Runs (a) provider start-up through the project's launcher (benchmarks/startup.py), (b) the cdktf
deploy loop (benchmarks/deploy.py), (c) benchmarks/flowservice_rps.py when it exists, then writes
benchmarks/results/summary.md. One failing benchmark does not stop the others; the exit status
says whether all of them ran. Bounded: about a minute and a half on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
RPS_SCRIPT = ROOT / "benchmarks" / "flowservice_rps.py"
RPS_TIMEOUT = 120.0


def project_launcher(scratch: Path) -> Path:
    """The launcher `make setup` installed (.tf/mirror), or a fresh one in ``scratch`` if there is none."""
    from toolchain.mirror import install, launcher_path, terraform_platform

    platform = terraform_platform()
    launcher = launcher_path(ROOT / ".tf" / "mirror", platform)
    if launcher.is_file():
        return launcher
    launcher, _ = install(scratch, Path(sys.executable), platform)
    return launcher


def run_startup(out: Path, launches: int) -> dict[str, Any]:
    """Exec-to-handshake and exec-to-first-RPC of the launcher Terraform runs 3-4 times per command."""
    from benchmarks import startup

    with tempfile.TemporaryDirectory(prefix="bench-launcher-") as scratch:
        launcher = project_launcher(Path(scratch))
        code = startup.main([str(out), "-n", str(launches), "--first-rpc", "--", str(launcher)])
    if code != 0:
        raise RuntimeError(f"startup benchmark exited {code}")
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def run_deploy(out: Path, rounds: int) -> dict[str, Any]:
    from benchmarks import deploy

    return deploy.run(out, rounds)


def run_rps(out: Path) -> dict[str, Any] | None:
    """Flow Service throughput, if that benchmark exists: `python -m benchmarks.flowservice_rps OUT.json`."""
    if not RPS_SCRIPT.exists():
        return None
    proc = subprocess.run([sys.executable, "-m", "benchmarks.flowservice_rps", str(out)], cwd=ROOT,
                          timeout=RPS_TIMEOUT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        raise RuntimeError(f"flowservice_rps exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return json.loads(out.read_text()) if out.exists() else {"stdout": proc.stdout.strip()}


def terraform_version() -> str:
    try:
        proc = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, timeout=30,
                              env={**os.environ, "CHECKPOINT_DISABLE": "1"})
        return str(json.loads(proc.stdout)["terraform_version"])
    except (OSError, ValueError, KeyError, subprocess.SubprocessError):
        return "unknown"


def _calls(calls: Any) -> str:
    if isinstance(calls, dict):
        return ", ".join(f"`{route}` x{count}" for route, count in calls.items()) or "none"
    return f"varied by round: {json.dumps(calls)}"


def summary_markdown(results: dict[str, Any], errors: dict[str, str], seconds: float) -> str:
    """A page a reviewer reads in the diff: the figures that matter, with where they came from."""
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks` (`make bench`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"in {seconds:.0f} s. Raw figures: the JSON files beside this one.",
        "",
    ]
    startup = results.get("startup")
    if startup:
        lines += [
            f"## Provider start-up ({startup['n']} launches, TLS {'on' if startup['tls'] else 'off'}, "
            f"{startup['cpus']} CPUs, Python {startup['python']})",
            "",
            "Terraform starts the provider 3 times per plan and 4 per apply, so this is paid on every start.",
            "",
            "| from exec to | median | p90 | min | max |",
            "|---|---|---|---|---|",
            f"| handshake line | {startup['median_ms']} ms | {startup['p90_ms']} ms | {startup['min_ms']} ms "
            f"| {startup['max_ms']} ms |",
        ]
        if "first_rpc_median_ms" in startup:
            lines.append(f"| first `GetProviderSchema` answered | {startup['first_rpc_median_ms']} ms "
                         f"| {startup['first_rpc_p90_ms']} ms | | |")
        lines.append("")
    deploy = results.get("deploy")
    if deploy:
        lines += [
            f"## Deploy loop ({deploy['rounds']} rounds of `main.py` against the local Flow Service, "
            f"Terraform {results.get('terraform', 'unknown')})",
            "",
            "Whole commands (cdktf-cli, terraform, provider starts, HTTP). Each round starts with an empty",
            "IMS token cache; the one-off synth + `terraform providers lock` took "
            f"{deploy['setup_seconds']:.1f} s.",
            "",
            "| command | median | min - max | Flow Service calls | IMS token requests |",
            "|---|---|---|---|---|",
        ]
        names = {"create": "`cdktf deploy` (create)", "noop_diff": "`cdktf diff` (no change)",
                 "update": "`cdktf deploy` (rotate session token)", "destroy": "`cdktf destroy`"}
        for operation, figures in deploy["summary"].items():
            lines.append(f"| {names.get(operation, operation)} | {figures['median_s']:.2f} s | "
                         f"{figures['min_s']:.2f} - {figures['max_s']:.2f} s | {_calls(figures['api_calls'])} | "
                         f"{figures['ims_token_requests']} |")
        lines.append("")
    lines += ["## Flow Service throughput (`benchmarks/flowservice_rps.py`)", ""]
    rps = results.get("flowservice_rps")
    if rps is None and "flowservice_rps" not in errors:
        lines.append("Not run: `benchmarks/flowservice_rps.py` does not exist yet.")
    elif rps is not None:
        scalars = {k: v for k, v in rps.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
        lines += [f"- `{k}`: {v}" for k, v in scalars.items()] or ["See `flowservice_rps.json`."]
    lines.append("")
    if errors:
        lines += ["## Failures", ""] + [f"- {name}: {message}" for name, message in errors.items()] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder (default benchmarks/results)")
    parser.add_argument("--rounds", type=int, default=3, help="deploy-loop rounds (default 3)")
    parser.add_argument("-n", "--launches", type=int, default=30, help="provider launches timed (default 30)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    results: dict[str, Any] = {"terraform": terraform_version()}
    errors: dict[str, str] = {}
    benchmarks: dict[str, Callable[[], Any]] = {
        "startup": lambda: run_startup(args.out / "startup.json", args.launches),
        "deploy": lambda: run_deploy(args.out / "deploy.json", args.rounds),
        "flowservice_rps": lambda: run_rps(args.out / "flowservice_rps.json"),
    }
    for name, benchmark in benchmarks.items():
        print(f"== {name}", flush=True)
        try:
            results[name] = benchmark()
        except Exception as exc:  # noqa: BLE001 - reported in the summary, the other benchmarks still run
            errors[name] = f"{type(exc).__name__}: {exc}"
            print(f"{name} failed: {errors[name]}", file=sys.stderr)
    summary = args.out / "summary.md"
    summary.write_text(summary_markdown(results, errors, time.monotonic() - started))
    print(f"== done in {time.monotonic() - started:.0f} s -> {summary}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
