"""One measured step (a command, or the floor's direct calls): wall time and the server's view of it.

Wall time is ``time.perf_counter`` around the whole thing, as a user waits for it; the calls are
counted by the server, whose request log is reset just before. :class:`Steps` is what every
tool's runner shares: a scratch folder per step, a fresh provider stats folder and a cold IMS
token cache for each command.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from aep_client.ims import CACHE_DIR_ENV
from aep_local.testing import LocalAep
from aep_provider.protocol.stats import STATS_DIR_ENV
from benchmarks import providerstats, serverlog

T = TypeVar("T")

#: deploy: `make deploy`/`make plan`/`make destroy`'s runners on the sharded fleet app; terraform:
#: plain terraform in the one stack of the unsharded fleet app; terraform_data (one state) and
#: terraform_data_k (k states through the same runners): Terraform's built-in resource, no plugin;
#: trivial: a no-API resource on our protocol layer; floor: the API calls made directly.
TOOLS = ("deploy", "terraform", "terraform_data", "terraform_data_k", "trivial", "floor")
#: Tools that make no network call: measured once per N, shown beside every latency.
OFFLINE = ("terraform_data", "terraform_data_k", "trivial")
OPERATIONS = ("create", "noop", "rotate", "destroy")


@dataclass
class Step:
    """Figures of one operation by one tool at one size and latency."""

    tool: str
    operation: str
    n: int
    latency_ms: float
    command: str
    seconds: float
    calls: dict[str, int]
    failed: int
    peak_in_flight: int
    provider: dict[str, Any] | None = None
    backend: str = "local"  # where Terraform keeps state: local files or the S3 backend
    stacks: int = 1  # states the N objects are spread over
    bound: int | None = None  # FLEET_BOUND: connections per stack at most (sharded runs)
    synth_seconds: float | None = None  # the app run before the command (create and rotation of `make deploy`)
    init_seconds: float | None = None  # `terraform init` of every stack before the first command (set-up)
    state_bytes: int | None = None  # after create: the local state files' size, summed over the stacks
    #: before create: `aep_iac.plan` of the N creates, as plan.json times it (Terraform's part, and
    #: reading its plans and writing plan.md, plan.json, plan-comment.md), and the files' sizes
    review: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_bytes(files: list[Path]) -> int | None:
    """The size of the state files that exist (None if none does: remote state)."""
    sizes = [path.stat().st_size for path in files if path.exists()]
    return sum(sizes) if sizes else None


def timed(action: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def measure(server: LocalAep, action: Callable[[], T]) -> tuple[T, float, dict[str, Any]]:
    """Run ``action`` with a fresh request log: (its result, seconds, what the server saw)."""
    server.reset_requests()
    result, seconds = timed(action)
    return result, seconds, serverlog.summarize(server.requests())


NOTHING_SEEN: dict[str, Any] = {"calls": {}, "failed": 0, "peak_in_flight": 0}


class Steps:
    """One tool's throw-away folder at one size and latency; each step gets fresh scratch folders."""

    tool = ""
    plugin = True  # False: no provider process to collect figures of

    def __init__(self, folder: Path, n: int, latency_ms: float) -> None:
        self.folder = folder
        self.n = n
        self.latency_ms = latency_ms
        self.server: LocalAep | None = None  # None: an offline tool, nothing to count
        self.warm_log: Path | None = None  # a warm provider server's log (aep_iac.stacks runs one per command)
        self._made = 0

    def scratch(self, name: str) -> Path:
        self._made += 1
        path = self.folder / f"{self._made:02d}-{name}"
        path.mkdir(parents=True)
        return path

    def step(self, operation: str, command: str, run: Callable[[dict[str, str]], object],
             extra: Mapping[str, str] | None = None, **fields: Any) -> Step:
        """Time ``run(env)``: ``env`` is ``extra`` plus a fresh stats folder and a cold token cache."""
        stats = self.scratch(f"{self.tool}-{operation}-stats")
        env = {**(extra or {}), STATS_DIR_ENV: str(stats),
               CACHE_DIR_ENV: str(self.scratch(f"{self.tool}-{operation}-token-cache"))}
        offset = providerstats.log_offset(self.warm_log) if self.warm_log else 0
        if self.server is None:
            _, seconds = timed(lambda: run(env))
            seen = NOTHING_SEEN
        else:
            _, seconds, seen = measure(self.server, lambda: run(env))
        servers = providerstats.warm_servers(self.warm_log, offset) if self.warm_log else []
        provider = providerstats.collect(stats, servers) if self.plugin else None
        return Step(self.tool, operation, self.n, self.latency_ms, command, round(seconds, 3), dict(seen["calls"]),
                    seen["failed"], seen["peak_in_flight"], provider, **fields)
