"""One size N at one latency: cdktf, plain terraform and the floor, each on a fresh emulator.

Fresh data for each of the three keeps them alike (an empty sandbox at create); the latency is
the emulator's own (`set_faults(latency_ms=...)`), added to every Flow Service and IMS request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.floor import Floor
from benchmarks.step import Step
from benchmarks.toolchain_steps import FleetSteps
from local_flowservice.testing import LocalFlowService


@contextmanager
def emulator(data: Path, latency_ms: float) -> Iterator[LocalFlowService]:
    data.mkdir(parents=True)
    with LocalFlowService(data_dir=data) as server:
        if latency_ms:
            server.set_faults(latency_ms=latency_ms)
        yield server


def measure(n: int, latency_ms: float, cli_config: Path, folder: Path,
            progress: Callable[[Step], None] = lambda step: None) -> list[Step]:
    """Every step of one (N, latency): 4 cdktf, 4 terraform, 4 floor; ``progress`` sees each one done."""
    steps: list[Step] = []

    def keep(done: list[Step]) -> None:
        for step in done:
            progress(step)
        steps.extend(done)

    fleet = FleetSteps(folder, cli_config, n, latency_ms)
    with emulator(folder / "flowservice-cdktf", latency_ms) as server:
        fleet.use(server)
        keep(fleet.cdktf())
    with emulator(folder / "flowservice-terraform", latency_ms) as server:
        fleet.use(server)
        keep(fleet.terraform())
    with emulator(folder / "flowservice-floor", latency_ms) as server:
        keep(Floor(server, n, latency_ms).steps())
    return steps
