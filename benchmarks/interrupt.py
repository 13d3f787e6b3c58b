"""Ctrl-C in the middle of the sharded create, then the next deploy: does it converge, exactly?

The fleet of N connections over its stacks, as ``make deploy`` runs it (``aep_iac.stacks apply``),
on a fresh emulator with the run's latency. Once a third of the creates were answered, the whole
command gets a terminal's SIGINT; it must end with 130 after every Terraform saved its state. The
deploy run again must create only what is missing: the figures are what the server holds by name
(duplicates: objects beyond one per name; missing: names with none) and the calls of each run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aep_client import FlowServiceClient
from aep_client.ims import CACHE_DIR_ENV
from aep_client.kinds import CONNECTIONS
from aep_local.testing import LocalAep
from benchmarks import serverlog
from benchmarks.environment import UNROTATED, client_config
from benchmarks.scale import emulator
from benchmarks.toolchain_steps import TIMEOUT, ShardedSteps


def _created(server: LocalAep) -> int:
    return server.counters().get("POST /connections", 0)


def _names(server: LocalAep) -> Counter[str]:
    with FlowServiceClient(client_config(server), use_token_cache=False) as client:
        return Counter(str(item.get("name")) for item in client.list_objects(CONNECTIONS, limit=1000))


def measure(folder: Path, cli_config: Path, n: int, latency_ms: float, bound: int) -> dict[str, Any]:
    """Interrupt the create after N/3 answers, deploy again; what each run did and what is left."""
    with emulator(folder / "local-aep", latency_ms) as server:
        steps = ShardedSteps(folder, cli_config, n, latency_ms, bound)
        steps.use(server)
        steps.prepare()
        project = steps.project
        env = {**UNROTATED, CACHE_DIR_ENV: str(steps.scratch("token-cache"))}
        server.reset_requests()
        process = project.start(project.stacks_command("apply"), env)
        # Read its output as it comes: a full pipe would stop the command (and every Terraform).
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + TIMEOUT
            while _created(server) < n // 3 and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            signalled = time.perf_counter()
            with contextlib.suppress(ProcessLookupError):  # it may have ended (a small N): nothing to stop
                os.killpg(process.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the command's group
            process.wait(timeout=TIMEOUT)
            stopped = time.perf_counter() - signalled
            reader.join(60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        output = "".join(lines)
        server.wait_idle()
        first = serverlog.summarize(server.requests())
        held = _names(server)
        server.reset_requests()
        started = time.perf_counter()
        again = project.run(project.stacks_command("apply"), env, check=False, timeout=TIMEOUT)
        seconds = time.perf_counter() - started
        second = serverlog.summarize(server.requests())
        after = _names(server)
    return {
        "n": n, "latency_ms": latency_ms, "bound": bound, "stacks": len(project.stacks),
        "interrupted": {"exit_status": process.returncode, "seconds_to_stop": round(stopped, 2),
                        "calls": first["calls"], "objects": sum(held.values()),
                        "said_interrupted": "Interrupted; state is saved" in output},
        "next_deploy": {"exit_status": again.returncode, "seconds": round(seconds, 2), "calls": second["calls"],
                        "peak_in_flight": second["peak_in_flight"]},
        "objects": sum(after.values()),
        "duplicates": sum(count - 1 for count in after.values() if count > 1),
        "missing": len([i for i in range(1, n + 1) if after[f"fleet-{i:03d}"] == 0]),
    }
