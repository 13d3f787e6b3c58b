"""A fleet grows: N connections deployed, then N/5 more, which open one new stack of their own.

The usual change is not spread evenly over a sandbox's stacks: new connections go to the emptiest
stack or to a new one, so one stack has all the creates while the others only refresh. This cell
times the second deploy (``aep_iac.stacks apply``, as ``make deploy`` runs it, on a fresh
emulator with the run's latency) beside its floor made in the same run: every existing connection
refreshed (N GETs), then the new ones created, 10 at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aep_client.ims import CACHE_DIR_ENV
from benchmarks.environment import UNROTATED
from benchmarks.floor import Floor
from benchmarks.scale import emulator
from benchmarks.step import measure as measured
from benchmarks.toolchain_steps import TIMEOUT, ShardedSteps, init_stacks


def measure(folder: Path, cli_config: Path, n: int, latency_ms: float, bound: int) -> dict[str, Any]:
    """Deploy N, add N/5 (untimed set-up: synthesis, lock files and init of the new stack); time the
    deploy that creates them."""
    added = max(1, n // 5)
    with emulator(folder / "floor-local-aep", latency_ms) as server:
        floor_step = Floor(server, n, latency_ms).grow(added)
    with emulator(folder / "local-aep", latency_ms) as server:
        steps = ShardedSteps(folder / "deploy", cli_config, n, latency_ms, bound)
        steps.use(server)
        steps.prepare()
        project = steps.project
        project.run(project.stacks_command("apply"), UNROTATED, timeout=TIMEOUT)
        before = set(project.stacks)
        project.env["FLEET_CONNECTIONS"] = str(n + added)
        project.lock(UNROTATED)  # synthesis, then lock files for the new stacks
        new = [stack for stack in project.stacks if stack not in before]
        init_stacks(project.folder, list(project.stacks), project.environment(UNROTATED))
        env = {**UNROTATED, CACHE_DIR_ENV: str(steps.scratch("token-cache"))}
        run, seconds, seen = measured(server, lambda: project.run(project.stacks_command("apply"), env,
                                                                  check=False, timeout=TIMEOUT))
    return {
        "n": n, "added": added, "latency_ms": latency_ms, "bound": bound, "stacks": len(project.stacks),
        "new_stacks": new, "exit_status": run.returncode, "seconds": round(seconds, 3),
        "floor_s": floor_step.seconds, "ratio": round(seconds / floor_step.seconds, 2),
        "calls": seen["calls"], "floor_calls": floor_step.calls, "peak_in_flight": seen["peak_in_flight"],
    }
