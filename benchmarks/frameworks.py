"""CDKTF and CDK Terrain side by side: the same deploy, no-op and destroy of the fleet app through
each framework's CLI (via aep_iac.cdk, as `make deploy` runs them), on fresh emulators.

CDK Terrain is measured only where `make CDK=cdktn setup` installed its CLI; otherwise the report
says so. What differs is each CLI's own cost per command: Terraform and the provider are the same.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from aep_iac.apps import FLEET_STACK as STACK
from aep_iac.cdk import cli_bin
from aep_iac.project import ROOT, CdktfProject
from aep_local.testing import LocalAep
from benchmarks.environment import fleet_env


def installed(framework: str) -> bool:
    return (cli_bin(ROOT, framework) / framework).exists()


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return round(time.perf_counter() - started, 3)


def measure(folder: Path, cli_config: Path, n: int = 50) -> dict[str, Any]:
    """Seconds per command and framework; a framework not installed is listed under ``missing``."""
    out: dict[str, Any] = {"n": n, "frameworks": {}, "missing": []}
    for framework in ("cdktf", "cdktn"):
        if not installed(framework):
            out["missing"].append(framework)
            continue
        with LocalAep(data_dir=folder / f"{framework}-data") as server:
            project = CdktfProject.fleet(folder / framework, cli_config, {})
            project.env = fleet_env(server, folder / f"{framework}-token-cache", n) | {"CDK": framework}
            project.lock()
            out["frameworks"][framework] = {
                "deploy (create)": _timed(project.deploy),
                "diff (no-op)": _timed(lambda p=project: p.cdk("diff", STACK)),
                "destroy": _timed(project.destroy),
            }
    return out
