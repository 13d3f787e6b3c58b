"""The runs of one size N: each tool on its own fresh emulator (or none), as named callables, so
that a failing one is reported and the others still run.

Fresh data for each tool keeps them alike (an empty sandbox at create); the latency is the
emulator's own (`set_faults(latency_ms=...)`), added to every Flow Service and IMS request. The
S3 state backend gets a fresh local S3 server (benchmarks/statebucket.py) for its run, stopped
after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from aep_local.testing import LocalAep
from benchmarks.environment import s3_state_env
from benchmarks.floor import Floor
from benchmarks.offline import ManyStates, OneState
from benchmarks.statebucket import StateBucket
from benchmarks.step import Step
from benchmarks.toolchain_steps import FleetSteps, ShardedSteps

Job = tuple[str, Callable[[], list[Step]]]


@contextmanager
def emulator(data: Path, latency_ms: float) -> Iterator[LocalAep]:
    data.mkdir(parents=True)
    with LocalAep(data_dir=data) as server:
        if latency_ms:
            server.set_faults(latency_ms=latency_ms)
        yield server


def _on_emulator(steps: FleetSteps) -> list[Step]:
    with emulator(steps.folder / "local-aep", steps.latency_ms) as server:
        steps.use(server)
        return steps.steps()


def _deploy_s3(folder: Path, cli_config: Path, n: int, latency_ms: float, bound: int) -> list[Step]:
    with StateBucket() as endpoint:
        backend = s3_state_env(endpoint, f"bench/n{n}-{latency_ms:g}ms")
        return _on_emulator(ShardedSteps(folder, cli_config, n, latency_ms, bound, backend))


def _floor(folder: Path, n: int, latency_ms: float) -> list[Step]:
    with emulator(folder / "local-aep", latency_ms) as server:
        return Floor(server, n, latency_ms).steps()


def network_runs(n: int, latency_ms: float, cli_config: Path, folder: Path, bound: int, s3: bool,
                 tools: frozenset[str]) -> list[Job]:
    """The sharded deploy (local state, then S3 when ``s3``), plain terraform and the floor."""
    runs: list[Job] = []
    if "deploy" in tools:
        runs.append(("make deploy", lambda: _on_emulator(ShardedSteps(folder / "deploy", cli_config, n, latency_ms,
                                                                      bound))))
    if "deploy_s3" in tools and s3:
        runs.append(("make deploy, S3 state", lambda: _deploy_s3(folder / "deploy-s3", cli_config, n, latency_ms,
                                                                 bound)))
    if "terraform" in tools:
        runs.append(("plain terraform", lambda: _on_emulator(FleetSteps(folder / "terraform", cli_config, n,
                                                                        latency_ms))))
    if "floor" in tools:
        runs.append(("floor", lambda: _floor(folder / "floor", n, latency_ms)))
    return runs


def offline_runs(n: int, trivial_config: Path, folder: Path, bound: int, tools: frozenset[str]) -> list[Job]:
    """terraform_data in one state and in k, and the trivial provider in one: no network, once per N."""
    runs: list[Job] = []
    if "terraform_data" in tools:
        runs.append(("terraform_data", lambda: OneState("terraform_data", folder / "terraform-data", n,
                                                        trivial_config).steps()))
    if "terraform_data_k" in tools:
        runs.append(("terraform_data, k states", lambda: ManyStates(folder / "terraform-data-k", n, trivial_config,
                                                                    bound).steps()))
    if "trivial" in tools:
        runs.append(("trivial provider", lambda: OneState("trivial", folder / "trivial", n, trivial_config).steps()))
    return runs


def bound_run(n: int, latency_ms: float, cli_config: Path, folder: Path, bound: int) -> Job:
    """The sharded deploy at another ``FLEET_BOUND`` (local state), for the bound comparison."""
    return (f"make deploy, FLEET_BOUND={bound}",
            lambda: _on_emulator(ShardedSteps(folder, cli_config, n, latency_ms, bound)))
