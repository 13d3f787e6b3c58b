"""A fleet of pipelines: N connections, each with a dataflow (a source connection, a target connection and
a flow), writing through k XDM schemas, k datasets and k mapping sets that the dataflows share
(``FLEET_TARGETS=k`` in aep_iac/apps/fleet.py: dataflow i uses target i mod k).

The cell times what ``make deploy`` and ``make plan`` run after synthesis on that fleet,
``python -m aep_iac.stacks apply`` (create) and ``python -m aep_iac.plan`` (no-op, exit 0), on
a fresh emulator with the run's latency, each beside its floor made on another fresh emulator: the
same objects created and read directly with our client, 10 calls in flight.

The floor's create respects what each call needs and nothing more: the tenant is read once (a field
group's fields sit under it), then per target its field group, its schema, and its dataset and
mapping set (both on the schema); per pipeline its connection, then its source connection (on the
connection) and its target connection (on its dataset), then its flow (on both and on its mapping
set). Each call starts as soon as those it needs have answered and a slot is free, the deepest
chains first (:class:`Scheduler`). The floor's no-op reads every object once (the refresh), plus the
listings a plan makes to look up targets by name: one of datasets and one of mapping sets in each
stack that does not hold them (none when one stack holds everything).

Calls are counted per route from the server's log (``POST /flows``, ``LIST /connections``...), so a
reader sees what each step cost beside what it needed (:func:`needed_calls`).
"""

from __future__ import annotations

import itertools
import queue
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aep_client import ObjectRef
from aep_client.catalog import CLAIM_TAG
from aep_client.client import FlowServiceClient
from aep_client.kinds import (
    CONNECTIONS,
    DATASETS,
    FIELD_GROUPS,
    FLOWS,
    MAPPING_SETS,
    SCHEMAS,
    SOURCE_CONNECTIONS,
    TARGET_CONNECTIONS,
    Kind,
)
from aep_iac.apps import fleet
from aep_local.testing import LocalAep
from aep_spec import dataprep, ingestion, s3, xdm
from benchmarks.environment import UNROTATED, client_config
from benchmarks.floor import connection_body
from benchmarks.scale import emulator
from benchmarks.step import Step, measure
from benchmarks.toolchain_steps import ShardedSteps

WORKERS = 10
T = TypeVar("T")
IMS_ROUTE = "POST /ims/token/v3"
TENANT_ROUTE = "GET /schemaregistry/stats"
#: Each kind's route prefix in the server's log.
ROUTES = {CONNECTIONS: "/connections", SOURCE_CONNECTIONS: "/sourceConnections",
          TARGET_CONNECTIONS: "/targetConnections", FLOWS: "/flows",
          FIELD_GROUPS: "/schemaregistry/tenant/fieldgroups", SCHEMAS: "/schemaregistry/tenant/schemas",
          DATASETS: "/catalog/dataSets", MAPPING_SETS: "/conversion/mappingSets"}
FLOW_KINDS = (CONNECTIONS, SOURCE_CONNECTIONS, TARGET_CONNECTIONS, FLOWS)
#: What the provider reads to refresh a declared target: the schema (its field group comes resolved in it).
TARGET_READS = (SCHEMAS, DATASETS, MAPPING_SETS)


@dataclass(frozen=True)
class Variant:
    """One fleet of pipelines: ``n`` of them over ``targets`` declared targets (0: the seeded dataset,
    schema and mapping set, nothing to look up), spread over stacks of at most ``bound`` connections."""

    n: int
    targets: int
    bound: int

    @property
    def label(self) -> str:
        targets = f"{self.targets} declared targets" if self.targets else "the seeded target (no look-up)"
        return f"N={self.n} pipelines, {targets}, bound {self.bound}"


# ---- what a step needs ------------------------------------------------------------------------


def route(entry: Mapping[str, Any]) -> str:
    """``METHOD template`` of one logged request; a GET of a collection is a ``LIST``."""
    method, template = str(entry.get("method")), str(entry.get("template") or entry.get("path"))
    template = template.removeprefix("/data/foundation/flowservice")
    if method == "GET" and not template.endswith("}") and template != TENANT_ROUTE.split()[1]:
        method = "LIST"
    return f"{method} {template}"


def calls_per_route(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    return dict(sorted(Counter(route(e) for e in entries).items()))


def peak_in_flight(entries: Iterable[Mapping[str, Any]]) -> int:
    """Most requests to AEP's services (IMS not counted) being served at one moment."""
    events: list[tuple[float, int]] = []
    for entry in entries:
        if str(entry.get("path", "")).startswith("/ims/"):
            continue
        events += [(float(entry["started_at"]), 1), (float(entry["ended_at"]), -1)]
    events.sort()
    peak = current = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def needed_calls(operation: str, n: int, targets: int, stacks: int = 1) -> dict[str, int]:
    """The calls ``operation`` needs on ``n`` pipelines over ``targets`` declared targets (the floor's),
    besides the one IMS token request."""
    if operation == "create":
        calls = {f"POST {ROUTES[kind]}": n for kind in FLOW_KINDS}
        if targets:
            calls[TENANT_ROUTE] = 1
            calls |= {f"POST {ROUTES[kind]}": targets for kind in (FIELD_GROUPS, SCHEMAS, DATASETS, MAPPING_SETS)}
        return dict(sorted(calls.items()))
    calls = {f"GET {ROUTES[kind]}/{{id}}": n for kind in FLOW_KINDS}
    if targets:
        calls |= {f"GET {ROUTES[kind]}/{{id}}": targets for kind in TARGET_READS}
        if stacks > 1:  # the look-ups by name of each stack without the targets
            calls |= {f"LIST {ROUTES[kind]}": stacks - 1 for kind in (DATASETS, MAPPING_SETS)}
    return dict(sorted(calls.items()))


def objects(n: int, targets: int) -> dict[str, int]:
    """Objects per kind in AEP once the fleet is deployed (an XDM schema is a field group and a schema)."""
    made = {kind.noun: n for kind in FLOW_KINDS}
    if targets:
        made |= {kind.noun: targets for kind in (FIELD_GROUPS, SCHEMAS, DATASETS, MAPPING_SETS)}
    return made


# ---- the floor ----------------------------------------------------------------------------------


class Scheduler:
    """Calls made ``workers`` at a time, each once the calls it needs have answered; among the calls
    ready, the lowest priority first (the deepest chains), then the order they were declared in."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._ready: queue.PriorityQueue[tuple[int, int, Callable[[], None] | None]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._workers = workers
        self.futures: list[Future[Any]] = []

    def call(self, priority: int, action: Callable[..., T], *needs: Future[Any]) -> Future[T]:
        """``action(*results of needs)`` once every one of ``needs`` has its result."""
        future: Future[T] = Future()
        self.futures.append(future)
        waiting = [len(needs)]
        lock = threading.Lock()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(action(*(need.result() for need in needs)))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for it
                future.set_exception(exc)

        def answered(need: Future[Any]) -> None:
            failure = need.exception()
            with lock:
                waiting[0] -= 1
                if failure is not None and not future.done():
                    future.set_exception(failure)  # what it needs failed: it is not sent
                    return
                ready = waiting[0] == 0 and not future.done()
            if ready:
                self._ready.put((priority, next(self._order), run))

        if not needs:
            self._ready.put((priority, next(self._order), run))
        for need in needs:
            need.add_done_callback(answered)
        return future

    def run(self) -> None:
        """Every declared call made (or refused for a failed need); the first failure raised."""
        def work() -> None:
            while True:
                _, _, action = self._ready.get()
                if action is None:
                    return
                action()

        threads = [threading.Thread(target=work, daemon=True) for _ in range(self._workers)]
        for thread in threads:
            thread.start()
        for future in list(self.futures):
            future.exception()  # waits
        for _ in threads:
            self._ready.put((sys.maxsize, next(self._order), None))
        for thread in threads:
            thread.join()
        for future in self.futures:
            if future.exception() is not None:
                raise future.exception()  # type: ignore[misc]


def field_group_body(j: int, tenant: str) -> dict[str, Any]:
    """What the provider POSTs for fleet schema ``j``'s field group (aep_provider/resources/xdm_schema.py)."""
    properties = {}
    for name, kind in sorted(fleet.FIELDS.items()):
        definition: dict[str, Any] = {"title": name, "type": "string" if kind in xdm.DATE_FORMATS else kind}
        if kind in xdm.DATE_FORMATS:
            definition["format"] = kind
        properties[name] = definition
    return {"title": f"Fleet schema {j:03d} fields", "type": "object",
            "meta:intendedToExtend": [xdm.PROFILE_CLASS],
            "definitions": {"customFields": {"properties": {xdm.tenant_namespace(tenant): {
                "type": "object", "properties": properties}}}},
            "allOf": [{"$ref": "#/definitions/customFields"}]}


def schema_body(j: int, group_id: str) -> dict[str, Any]:
    return {"title": f"Fleet schema {j:03d}", "type": "object",
            "allOf": [{"$ref": xdm.PROFILE_CLASS}, {"$ref": group_id}]}


def dataset_body(j: int, schema_id: str) -> dict[str, Any]:
    return {"name": f"Fleet dataset {j:03d}", "tags": {CLAIM_TAG: [uuid.uuid4().hex]},
            "schemaRef": {"id": schema_id, "contentType": "application/vnd.adobe.xed+json;version=1"}}


def mapping_body(j: int, schema_id: str, tenant: str) -> dict[str, Any]:
    namespace = xdm.tenant_namespace(tenant)
    return {"name": f"Fleet mapping {j:03d}",
            "outputSchema": {"schemaRef": {"id": schema_id, "contentType": dataprep.DEFAULT_SCHEMA_CONTENT_TYPE}},
            "mappings": [{"sourceType": "ATTRIBUTE", "source": column, "destination": f"{namespace}.{field}"}
                         for field, column in fleet.COLUMNS.items()]}


def source_body(i: int, connection_id: str) -> dict[str, Any]:
    return {"name": f"fleet-flow-{i:03d} (source)", "baseConnectionId": connection_id,
            "data": {"format": "delimited"}, "params": {"path": f"/fleet-bucket-{i % 7}/in/{i:03d}", "type": "folder"},
            "connectionSpec": {"id": s3.CONNECTION_SPEC_ID, "version": s3.CONNECTION_SPEC_VERSION}}


def target_body(i: int, dataset_id: str, schema_id: str) -> dict[str, Any]:
    return {"name": f"fleet-flow-{i:03d} (target)",
            "data": {"schema": {"id": schema_id, "version": ingestion.DEFAULT_SCHEMA_VERSION}},
            "params": {"dataSetId": dataset_id},
            "connectionSpec": {"id": ingestion.DATA_LAKE_CONNECTION_SPEC_ID,
                               "version": ingestion.DATA_LAKE_CONNECTION_SPEC_VERSION}}


def flow_body(i: int, source_id: str, target_id: str, mapping: ObjectRef) -> dict[str, Any]:
    return {"name": f"fleet-flow-{i:03d}",
            "flowSpec": {"id": ingestion.CLOUD_STORAGE_FLOW_SPEC_ID,
                         "version": ingestion.CLOUD_STORAGE_FLOW_SPEC_VERSION},
            "sourceConnectionIds": [source_id], "targetConnectionIds": [target_id],
            "scheduleParams": {"startTime": int(time.time()), "frequency": "minute", "interval": 15},
            "transformations": [{"name": "Mapping", "params": {"mappingId": mapping.id,
                                                               "mappingVersion": int(mapping.etag or 0)}}]}


@dataclass(frozen=True)
class Target:
    dataset_id: str
    schema_id: str


SEEDED = Target(fleet.DATASET, fleet.SCHEMA)
SEEDED_MAPPING = ObjectRef(fleet.MAPPING.id, str(fleet.MAPPING.version))


class PipelineFloor:
    """The create and the no-op of ``variant`` made directly, 10 calls in flight."""

    def __init__(self, server: LocalAep, variant: Variant, latency_ms: float, stacks: int) -> None:
        self.server = server
        self.variant = variant
        self.latency_ms = latency_ms
        self.stacks = stacks
        self.made: list[tuple[Kind, str]] = []  # what the no-op reads back

    def _step(self, operation: str, command: str,
              work: Callable[[FlowServiceClient], None]) -> tuple[Step, dict[str, int]]:
        def run() -> None:
            with FlowServiceClient(client_config(self.server), use_token_cache=False) as client:
                work(client)

        _, seconds, seen = measure(self.server, run)
        entries = self.server.requests()
        step = Step("floor", operation, self.variant.n, self.latency_ms, command, round(seconds, 3), seen["calls"],
                    seen["failed"], peak_in_flight(entries), stacks=self.stacks)
        return step, calls_per_route(entries)

    def create(self) -> tuple[Step, dict[str, int]]:
        return self._step("create", "targets, connections, then sources and targets, then flows (as needed)",
                          self._create)

    def noop(self) -> tuple[Step, dict[str, int]]:
        return self._step("noop", "one GET per object (and the look-ups by name)", self._refresh)

    def _create(self, client: FlowServiceClient) -> None:
        n, k = self.variant.n, self.variant.targets
        plan = Scheduler()
        made = self.made
        lock = threading.Lock()

        def keep(kind: Kind, ref: ObjectRef) -> ObjectRef:
            with lock:
                made.append((kind, ref.id))
            return ref

        targets: list[Future[Target]] = []
        maps: list[Future[ObjectRef]] = []
        if k:
            tenant = plan.call(0, client.registry.tenant)
            for j in range(k):
                group = plan.call(1, lambda t, j=j: client.registry.create(FIELD_GROUPS, field_group_body(j, t)),
                                  tenant)
                schema = plan.call(2, lambda g, j=j: keep(SCHEMAS, client.registry.create(
                    SCHEMAS, schema_body(j, g.id))), group)
                targets.append(plan.call(3, lambda s, j=j: Target(
                    keep(DATASETS, client.catalog.create(DATASETS, dataset_body(j, s.id))).id, s.id), schema))
                maps.append(plan.call(3, lambda s, t, j=j: keep(MAPPING_SETS, client.prep.create(
                    MAPPING_SETS, mapping_body(j, s.id, t))), schema, tenant))
        else:
            targets = [plan.call(3, lambda: SEEDED)]
            maps = [plan.call(3, lambda: SEEDED_MAPPING)]
        for i in range(1, n + 1):
            j = fleet.target_of(i, k) if k else 0
            connection = plan.call(4, lambda i=i: keep(CONNECTIONS, client.create(CONNECTIONS, connection_body(i))))
            source = plan.call(5, lambda c, i=i: keep(SOURCE_CONNECTIONS, client.create(
                SOURCE_CONNECTIONS, source_body(i, c.id))), connection)
            target = plan.call(5, lambda t, i=i: keep(TARGET_CONNECTIONS, client.create(
                TARGET_CONNECTIONS, target_body(i, t.dataset_id, t.schema_id))), targets[j])
            plan.call(6, lambda s, t, m, i=i: keep(FLOWS, client.create(FLOWS, flow_body(i, s.id, t.id, m))),
                      source, target, maps[j])
        plan.run()

    def _refresh(self, client: FlowServiceClient) -> None:
        services: dict[Kind, Callable[[Kind, str], Any]] = {
            SCHEMAS: client.registry.get, DATASETS: client.catalog.get, MAPPING_SETS: client.prep.get}

        def read(kind: Kind, object_id: str) -> None:
            get: Callable[[Kind, str], Any] = services.get(kind, client.get)
            get(kind, object_id)

        def look_up(kind: Kind) -> None:
            listed = client.catalog.list_objects(kind) if kind is DATASETS else client.prep.list_objects(kind)
            list(listed)

        with ThreadPoolExecutor(WORKERS) as pool:
            done = [pool.submit(read, kind, object_id) for kind, object_id in self.made]
            if self.variant.targets:
                done += [pool.submit(look_up, kind) for _ in range(self.stacks - 1)
                         for kind in (DATASETS, MAPPING_SETS)]
            for future in done:
                future.result()


# ---- the toolchain ------------------------------------------------------------------------------


class PipelineSteps(ShardedSteps):
    """The fleet of pipelines through `make deploy`'s and `make plan`'s runners."""

    tool = "pipelines"

    def __init__(self, folder: Path, cli_config: Path, variant: Variant, latency_ms: float) -> None:
        super().__init__(folder, cli_config, variant.n, latency_ms, variant.bound)
        self.settings |= {"FLEET_DATAFLOWS": str(variant.n), "FLEET_TARGETS": str(variant.targets)}
        self.routes: dict[str, dict[str, int]] = {}
        self.peaks: dict[str, int] = {}

    def _seen(self, step: Step) -> Step:
        assert self.server is not None
        entries = self.server.requests()
        self.routes[step.operation] = calls_per_route(entries)
        step.peak_in_flight = peak_in_flight(entries)
        return step

    def steps(self) -> list[Step]:
        project = self.project
        synth, init = self.prepare()
        fields: dict[str, Any] = {"backend": self.backend, "stacks": len(project.stacks), "bound": self.bound}
        create = self._seen(self.step("create", "python -m aep_iac.stacks apply",
                                      lambda env: self.run(project.stacks_command("apply"), env), UNROTATED,
                                      synth_seconds=synth, init_seconds=init, **fields))
        plan = [sys.executable, "-m", "aep_iac.plan", "--project", ".", "--out", "plan.md", "--json", "plan.json"]
        noop = self._seen(self.step("noop", "python -m aep_iac.plan (exit 0: no changes)",
                                    lambda env: self.run(plan, env), UNROTATED, **fields))
        return [create, noop]


def _step_figures(step: Step, calls: dict[str, int], floor: Step, floor_calls: dict[str, int],
                  needed: dict[str, int], made: int) -> dict[str, Any]:
    provider = step.provider or {}
    cpu = provider.get("cpu_ms")
    return {
        "command": step.command, "seconds": step.seconds, "floor_s": floor.seconds,
        "ratio": round(step.seconds / floor.seconds, 2) if floor.seconds else None,
        "synth_s": step.synth_seconds, "init_s": step.init_seconds,
        "calls": calls, "calls_total": sum(calls.values()), "floor_calls": floor_calls,
        "floor_calls_total": sum(floor_calls.values()), "needed": needed,
        "minimal": all(calls.get(r, 0) == v for r, v in needed.items()),
        "beyond_needed": {r: v - needed.get(r, 0) for r, v in calls.items()
                          if r != IMS_ROUTE and v != needed.get(r, 0)},
        "failed": step.failed, "floor_failed": floor.failed,
        "peak_in_flight": step.peak_in_flight, "floor_peak_in_flight": floor.peak_in_flight,
        "provider_processes": provider.get("processes"),
        "provider_cpu_ms_per_object": round(cpu / made, 2) if cpu is not None and made else None,
        "rpc_cpu_ms_per_object": {kind: round(ms / made, 3) for kind, ms in (provider.get("rpc_cpu_ms") or {}).items()},
        "rpcs": provider.get("rpcs"),
    }


def measure_variant(folder: Path, cli_config: Path, variant: Variant, latency_ms: float) -> dict[str, Any]:
    """Create and no-op of ``variant`` by the toolchain, then by the floor, each on a fresh emulator."""
    with emulator(folder / "local-aep", latency_ms) as server:
        steps = PipelineSteps(folder / "deploy", cli_config, variant, latency_ms)
        steps.use(server)
        create, noop = steps.steps()
    stacks = create.stacks
    with emulator(folder / "floor-local-aep", latency_ms) as server:
        floor = PipelineFloor(server, variant, latency_ms, stacks)
        floor_create, create_calls = floor.create()
        floor_noop, noop_calls = floor.noop()
    made = objects(variant.n, variant.targets)
    resources = sum(fleet.pipeline_objects(variant.n, variant.targets).values())  # an XDM schema is one
    return {
        "label": variant.label, "n": variant.n, "targets": variant.targets, "bound": variant.bound,
        "latency_ms": latency_ms, "stacks": stacks, "objects": made, "objects_total": sum(made.values()),
        "flow_service_objects": 4 * variant.n, "resources": resources,
        "create": _step_figures(create, steps.routes["create"], floor_create, create_calls,
                                needed_calls("create", variant.n, variant.targets, stacks), resources),
        "noop": _step_figures(noop, steps.routes["noop"], floor_noop, noop_calls,
                              needed_calls("noop", variant.n, variant.targets, stacks), resources),
    }
