"""The floor: the API calls each operation needs, made directly by our own client, 10 at a time.

What no tool on top of the API can beat on this machine and emulator: FlowServiceClient with a
pool of 10 threads (Terraform's default -parallelism), one IMS token request per operation (each
toolchain step starts with a cold token cache too), and Terraform's order of calls:

* create: N POSTs
* no-op: N GETs (the refresh of a plan)
* rotation: N GETs, then N PATCHes with ``If-Match: <etag from create>`` (refresh, then update)
* destroy: N GETs, then N DELETEs
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aep_client import ConnectionRef, FlowServiceClient
from aep_local.testing import LocalAep
from aep_spec.s3 import CONNECTION_SPEC_ID, CONNECTION_SPEC_VERSION
from benchmarks.environment import (
    ACCESS_KEY,
    ROTATED_SESSION_TOKEN,
    SECRET_KEY,
    SESSION_TOKEN,
    client_config,
)
from benchmarks.step import Step, measure

WORKERS = 10
T = TypeVar("T")
R = TypeVar("R")
ROTATE_OPS = [{"op": "replace", "path": "/auth/params/s3SessionToken", "value": ROTATED_SESSION_TOKEN}]


def connection_body(index: int) -> dict[str, Any]:
    """What the provider POSTs for fleet connection ``index`` (aep_iac/apps/fleet.py)."""
    return {
        "name": f"fleet-{index:03d}",
        "description": f"Fleet connection {index}",
        "auth": {"specName": "Access Key", "params": {
            "s3AccessKey": ACCESS_KEY, "s3SecretKey": SECRET_KEY, "s3SessionToken": SESSION_TOKEN,
            "bucketName": f"fleet-bucket-{index % 7}", "folderPath": f"in/{index:03d}",
            "serviceUrl": "https://s3.us-east-1.amazonaws.com"}},
        "connectionSpec": {"id": CONNECTION_SPEC_ID, "version": CONNECTION_SPEC_VERSION},
    }


def _all(pool: ThreadPoolExecutor, call: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """Every call done (or the first error raised) before the next phase starts, as in Terraform."""
    return list(pool.map(call, items))


class Floor:
    """The four operations on ``n`` connections against ``server``, in order."""

    def __init__(self, server: LocalAep, n: int, latency_ms: float) -> None:
        self.server = server
        self.n = n
        self.latency_ms = latency_ms
        self.config = client_config(server)
        self.refs: list[ConnectionRef] = []

    def _step(self, operation: str, command: str, work: Callable[[FlowServiceClient, ThreadPoolExecutor], None]
              ) -> Step:
        def run() -> None:
            # A new client per operation: its token request is part of the floor, as in each command.
            with FlowServiceClient(self.config, use_token_cache=False) as client, \
                    ThreadPoolExecutor(WORKERS) as pool:
                work(client, pool)

        _, seconds, seen = measure(self.server, run)
        return Step("floor", operation, self.n, self.latency_ms, command, round(seconds, 3), seen["calls"],
                    seen["failed"], seen["peak_in_flight"])

    def create(self, client: FlowServiceClient, pool: ThreadPoolExecutor) -> None:
        self.refs = _all(pool, client.create_connection, [connection_body(i) for i in range(1, self.n + 1)])

    def refresh(self, client: FlowServiceClient, pool: ThreadPoolExecutor) -> None:
        _all(pool, client.get_connection, [ref.id for ref in self.refs])

    def rotate(self, client: FlowServiceClient, pool: ThreadPoolExecutor) -> None:
        self.refresh(client, pool)
        self.refs = _all(pool, lambda ref: client.update_connection(ref.id, ref.etag, ROTATE_OPS), self.refs)

    def destroy(self, client: FlowServiceClient, pool: ThreadPoolExecutor) -> None:
        self.refresh(client, pool)
        _all(pool, client.delete_connection, [ref.id for ref in self.refs])
        self.refs = []

    def grow(self, added: int) -> Step:
        """N connections created (not measured), then what a deploy adding ``added`` needs, in
        Terraform's order: every existing connection refreshed (N GETs), then the new ones created."""
        self._step("create", "N POST", self.create)

        def work(client: FlowServiceClient, pool: ThreadPoolExecutor) -> None:
            self.refresh(client, pool)
            self.refs += _all(pool, client.create_connection,
                              [connection_body(i) for i in range(self.n + 1, self.n + added + 1)])

        return self._step("grow", f"N GET, then {added} POST", work)

    def steps(self) -> list[Step]:
        return [
            self._step("create", "N POST", self.create),
            self._step("noop", "N GET", self.refresh),
            self._step("rotate", "N GET, then N PATCH", self.rotate),
            self._step("destroy", "N GET, then N DELETE", self.destroy),
        ]
