"""From steps to what a reader compares: one row per (latency, N, operation) with each series' time
and its ratio to the floor, the calls each operation should make, the bound comparison, the
shares of Terraform, our protocol layer and the rest, and the issue's targets (reported, never
enforced).

A series is a tool as the report names it: ``deploy`` (the sharded fleet through `make deploy`'s
runners, local state, the main bound), ``deploy_s3`` (the same on the S3 state backend),
``terraform``, ``terraform_data``, ``terraform_data_k``, ``trivial`` and ``floor``. Offline series
(no network) are measured once per N and appear in the rows of every latency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from benchmarks.step import OFFLINE, OPERATIONS, Step

#: The issue's cells for its targets: the sharded deploy at N=1,000 and the plain one at N=200, at 150 ms.
TARGET_LATENCY_MS = 150.0
TARGET_N = 1000
TARGET_N_PLAIN = 200
#: The issue's fleet of pipelines (N dataflows over shared targets), at 150 ms.
TARGET_N_PIPELINES = 250
WRITES = ("POST", "PATCH", "DELETE")
SERIES = ("deploy", "deploy_s3", "terraform", "terraform_data", "terraform_data_k", "trivial", "floor")
NETWORK = ("deploy", "deploy_s3", "terraform")
#: The RPCs an object's lifecycle costs; the others (schema, configuration...) are per process.
RPC_KINDS = ("ValidateResourceConfig", "UpgradeResourceState", "ReadResource", "PlanResourceChange",
             "ApplyResourceChange")
#: Provider CPU per create or refresh, the issue's limit.
CPU_LIMIT_MS = 5.0


def expected_calls(operation: str, n: int) -> dict[str, int]:
    """Connection calls an operation on ``n`` connections needs (LIST and IMS are not budgeted here)."""
    calls = {"POST": 0, "GET": 0, "PATCH": 0, "DELETE": 0}
    calls.update({"create": {"POST": n}, "noop": {"GET": n}, "rotate": {"GET": n, "PATCH": n},
                  "destroy": {"GET": n, "DELETE": n}}[operation])
    return calls


def minimal_calls(step: Step) -> bool:
    """The calls ``step`` needs per connection and nothing else but listings and the token."""
    wanted = expected_calls(step.operation, step.n)
    return {kind: step.calls.get(kind, 0) for kind in wanted} == wanted and not step.calls.get("OTHER")


def series_of(step: Step, bound: int | None) -> str | None:
    """The series ``step`` belongs to; None for a sharded run at another bound (the bound table's)."""
    if step.tool == "deploy":
        if step.bound != bound:
            return None
        return "deploy_s3" if step.backend == "s3" else "deploy"
    return step.tool


def anomalies(steps: Iterable[Step], in_flight_bound: int) -> list[str]:
    """Steps whose calls differ from what the operation needs, that saw failed requests, that sent
    more calls at once than the bound, or whose provider wrote no figures."""
    found = []
    for step in steps:
        where = f"{step.tool} ({step.backend}, {step.stacks} stack(s)) {step.operation}, N={step.n}, " \
                f"{step.latency_ms:g} ms"
        if step.provider is not None and step.provider["processes"] == 0:
            found.append(f"{where}: no provider stats file (TF_PROVIDER_STATS_DIR) was written")
        if step.tool in OFFLINE:
            continue
        if not minimal_calls(step):
            wanted = expected_calls(step.operation, step.n)
            found.append(f"{where}: calls {step.calls}, expected {wanted} (and listings)")
        if step.failed:
            found.append(f"{where}: {step.failed} request(s) failed or were retried")
        if step.tool == "deploy" and step.peak_in_flight > in_flight_bound:
            found.append(f"{where}: {step.peak_in_flight} calls in flight, above the bound of {in_flight_bound}")
    return found


def _ratio(value: float | None, floor: float | None) -> float | None:
    return round(value / floor, 2) if value is not None and floor else None


def details(step: Step) -> dict[str, Any]:
    """What a row keeps of one step besides its time: calls, concurrency, stacks, provider figures."""
    out: dict[str, Any] = {"calls": step.calls, "failed": step.failed, "peak_in_flight": step.peak_in_flight,
                           "stacks": step.stacks, "bound": step.bound, "backend": step.backend,
                           "synth_s": step.synth_seconds, "init_s": step.init_seconds, "state_bytes": step.state_bytes}
    provider = step.provider
    if provider is not None:
        rpc = provider.get("rpc_cpu_ms") or {}
        out.update(
            provider_processes=provider["processes"], provider_warm_started=provider.get("warm_started", 0),
            warm_servers=provider.get("warm_servers", 0),
            warm_server_cpu_ms_per_connection=round(provider.get("warm_server_cpu_ms", 0.0) / step.n, 3),
            provider_max_rss_mb=provider["max_rss_mb"],
            provider_cpu_ms_per_connection=round(provider["cpu_ms"] / step.n, 2),
            rpc_cpu_ms_per_connection={kind: round(ms / step.n, 3) for kind, ms in rpc.items()},
            outside_rpcs_cpu_ms_per_connection=round((provider["cpu_ms"] - sum(rpc.values())) / step.n, 2),
        )
    return out


def rows(steps: Iterable[Step], bound: int | None) -> list[dict[str, Any]]:
    """One row per (latency, N, operation): every series' seconds, ratio to the floor and details."""
    network: dict[tuple[float, int, str], dict[str, Step]] = {}
    offline: dict[tuple[int, str], dict[str, Step]] = {}
    for step in steps:
        name = series_of(step, bound)
        if name is None:
            continue
        if step.tool in OFFLINE:
            offline.setdefault((step.n, step.operation), {})[name] = step
        else:
            network.setdefault((step.latency_ms, step.n, step.operation), {})[name] = step
    latencies = sorted({latency for latency, _, _ in network}) or [0.0]
    for (n, operation) in offline:
        for latency in latencies:
            network.setdefault((latency, n, operation), {})
    out: list[dict[str, Any]] = []
    for (latency, n, operation), by_series in network.items():
        by_series = {**by_series, **offline.get((n, operation), {})}
        floor = by_series.get("floor")
        floor_s = floor.seconds if floor else None
        out.append({
            "latency_ms": latency, "n": n, "operation": operation, "floor_s": floor_s,
            "seconds": {name: by_series[name].seconds for name in SERIES if name in by_series},
            "ratio": {name: _ratio(by_series[name].seconds, floor_s) for name in SERIES
                      if name in by_series and name != "floor"},
            "details": {name: details(by_series[name]) for name in SERIES if name in by_series},
        })
    order = {op: i for i, op in enumerate(OPERATIONS)}
    out.sort(key=lambda r: (r["latency_ms"], order[r["operation"]], r["n"]))
    return out


def _at(table: list[dict[str, Any]], latency: float, n: int) -> dict[str, dict[str, Any]]:
    return {r["operation"]: r for r in table if (r["latency_ms"], r["n"]) == (latency, n)}


def cell(table: list[dict[str, Any]], n: int, series: str = "deploy") -> tuple[float, int] | None:
    """The issue's cell (150 ms, ``n``) if ``series`` ran there, else the largest N at the highest latency."""
    cells = {(r["latency_ms"], r["n"]) for r in table if series in r["seconds"]}
    if (TARGET_LATENCY_MS, n) in cells:
        return TARGET_LATENCY_MS, n
    return max(cells) if cells else None


def bound_table(steps: Iterable[Step], table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The sharded deploy (local state) at each bound it ran with, at the largest N and latency where
    more than one bound ran: stacks, synthesis and each command's time and ratio to the floor."""
    runs: dict[tuple[float, int], dict[int, dict[str, Step]]] = {}
    for step in steps:
        if step.tool == "deploy" and step.backend == "local" and step.bound is not None:
            runs.setdefault((step.latency_ms, step.n), {}).setdefault(step.bound, {})[step.operation] = step
    compared = [key for key, bounds in runs.items() if len(bounds) > 1]
    if not compared:
        return []
    latency, n = max(compared)
    floors = {op: r["floor_s"] for op, r in _at(table, latency, n).items()}
    out = []
    for bound, by_op in sorted(runs[(latency, n)].items()):
        create = by_op.get("create")
        out.append({
            "latency_ms": latency, "n": n, "bound": bound,
            "stacks": next(iter(by_op.values())).stacks,
            "synth_s": create.synth_seconds if create else None,
            "seconds": {op: step.seconds for op, step in by_op.items()},
            "ratio": {op: _ratio(step.seconds, floors.get(op)) for op, step in by_op.items()},
            "cpu_ms_per_connection": {op: details(step).get("provider_cpu_ms_per_connection")
                                      for op, step in by_op.items()},
        })
    return out


def shares(table: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At the lowest latency (0 ms: the API costs least), per N and operation: Terraform's own time
    (terraform_data), what our protocol layer adds (trivial - terraform_data), what the API client,
    our resource code and the emulator add (plain terraform - trivial); and sharded, terraform_data
    over k states beside `make deploy`."""
    if not table:
        return []
    lowest = min(r["latency_ms"] for r in table)
    out = []
    for r in table:
        s = r["seconds"]
        if r["latency_ms"] != lowest or "terraform_data" not in s:
            continue
        data, trivial, plain = s.get("terraform_data"), s.get("trivial"), s.get("terraform")
        out.append({
            "latency_ms": lowest, "n": r["n"], "operation": r["operation"],
            "terraform_data_s": data, "trivial_s": trivial, "terraform_s": plain,
            "protocol_s": round(trivial - data, 3) if trivial is not None and data is not None else None,
            "api_and_resources_s": round(plain - trivial, 3) if plain is not None and trivial is not None else None,
            "terraform_data_k_s": s.get("terraform_data_k"), "deploy_s": s.get("deploy"),
            "stacks": (r["details"].get("terraform_data_k") or {}).get("stacks"),
        })
    return out


def state_sizes(table: list[dict[str, Any]]) -> dict[str, float]:
    """Bytes of local state per object after create, per series, at the largest N each created
    (Terraform rewrites the whole state as it records each object, so this drives its own cost)."""
    out: dict[str, tuple[int, float]] = {}
    for r in table:
        if r["operation"] != "create":
            continue
        for name, d in r["details"].items():
            size = d.get("state_bytes")
            if size and r["n"] >= out.get(name, (0, 0.0))[0]:
                out[name] = (r["n"], round(size / r["n"]))
    return {name: per_object for name, (_, per_object) in sorted(out.items(), key=lambda kv: SERIES.index(kv[0]))}


def _target(label: str, where: str, value: Any, limit: str, met: bool) -> dict[str, Any]:
    return {"target": label, "where": where, "value": value, "limit": limit, "met": met}


def _ratio_targets(at: Mapping[str, dict[str, Any]], series: str, where: str,
                   checks: Iterable[tuple[str, str, float]]) -> list[dict[str, Any]]:
    out = []
    for label, operation, limit in checks:
        value = (at.get(operation) or {}).get("ratio", {}).get(series)
        out.append(_target(label, where, value, f"<= {limit}", value is not None and value <= limit))
    return out


def _calls_target(at: Mapping[str, dict[str, Any]], series: str, label: str, where: str) -> dict[str, Any] | None:
    made = [(op, r["details"][series]) for op, r in at.items() if series in r["details"]]
    if not made:
        return None
    good = [op for op, d in made if d["calls"].get("OTHER", 0) == 0 and all(
        d["calls"].get(k, 0) == v for k, v in expected_calls(op, at[op]["n"]).items())]
    lists = "/".join(str(d["calls"].get("LIST", 0)) for _, d in made)
    return _target(label, where, f"{len(good)} of {len(made)} steps; LIST {lists}",
                   "1 POST / 1 GET / 1 GET + 1 PATCH / 1 GET + 1 DELETE per connection, plus listings",
                   len(good) == len(made))


def pipeline_targets(fleets: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each fleet of pipelines with declared targets at the issue's N (else the first measured), one per
    bound: create and no-op against their floors, and whether each made the calls it needs and no failed
    one. Every bound is reported, since the bound a team picks decides whether the target is met."""
    declared = [f for f in fleets if f["targets"]]
    chosen = [f for f in declared if f["n"] == TARGET_N_PIPELINES] or declared[:1]
    out = []
    for fleet in chosen:
        where = (f"N={fleet['n']} pipelines ({fleet['flow_service_objects']:,} Flow Service objects, "
                 f"{fleet['targets']} schemas, datasets and mapping sets), {fleet['latency_ms']:g} ms, "
                 f"bound {fleet['bound']}: {fleet['stacks']} stack(s)")
        for label, operation in (("`make deploy` create of the pipelines / floor", "create"),
                                 ("`make plan` no-op of the pipelines / floor", "noop")):
            ratio = fleet[operation]["ratio"]
            out.append(_target(label, where, ratio, "<= 1.5", ratio is not None and ratio <= 1.5))
        steps = [fleet["create"], fleet["noop"]]
        good = sum(1 for s in steps if s["minimal"] and not s["failed"])
        out.append(_target("pipelines: the calls each step needs, none failed", where,
                           f"{good} of {len(steps)} steps", "every needed call made (plus listings), 0 failed",
                           good == len(steps)))
    return out


def targets(table: list[dict[str, Any]], startup: Mapping[str, Any] | None,
            interrupt: Mapping[str, Any] | None = None,
            pipelines: Iterable[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """The issue's done-when figures against their limits: for the report, not a pass/fail."""
    out: list[dict[str, Any]] = []
    big = cell(table, TARGET_N)
    if big is not None:
        latency, n = big
        at = _at(table, latency, n)
        for series, state in (("deploy", "local state"), ("deploy_s3", "S3 state")):
            where = f"N={n}, {latency:g} ms, {state}"
            out += _ratio_targets(at, series, where, (
                ("`make deploy` create / floor (POST)", "create", 1.5),
                ("`make plan` no-op / floor (GET)", "noop", 1.5),
                ("`make deploy` rotation / floor (GET + PATCH)", "rotate", 1.5),
                ("`make destroy` / floor (GET + DELETE)", "destroy", 1.5)))
            calls = _calls_target(at, series, "`make deploy`/`plan`/`destroy` calls minimal", where)
            if calls is not None:
                out.append(calls)
        where = f"N={n}, {latency:g} ms, local state"
        create = (at.get("create") or {}).get("details", {}).get("deploy") or {}
        peak = create.get("peak_in_flight")
        wanted = min(10, n)
        out.append(_target("Flow Service calls in flight, `make deploy` create", where, peak,
                           f"= {wanted} (the bound of 10, or N)", peak == wanted))
        for operation, what in (("create", "create"), ("noop", "refresh (no-op plan)")):
            d = (at.get(operation) or {}).get("details", {}).get("deploy") or {}
            total = d.get("provider_cpu_ms_per_connection")
            in_rpcs = sum((d.get("rpc_cpu_ms_per_connection") or {}).values()) if d else None
            out.append(_target(f"provider CPU per {what}, all of it", where, total, f"<= {CPU_LIMIT_MS:g} ms",
                               total is not None and total <= CPU_LIMIT_MS))
            out.append(_target(f"provider CPU per {what}, in RPCs only (no start-up)", where,
                               None if in_rpcs is None else round(in_rpcs, 2), f"<= {CPU_LIMIT_MS:g} ms",
                               in_rpcs is not None and in_rpcs <= CPU_LIMIT_MS))
    small = cell(table, TARGET_N_PLAIN, "terraform")
    if small is not None:
        latency, n = small
        at = _at(table, latency, n)
        where = f"N={n}, {latency:g} ms"
        out += _ratio_targets(at, "terraform", where, (("plain `terraform apply` create / floor", "create", 1.5),))
        out += _ratio_targets(at, "deploy", where, (("`make deploy` create / floor", "create", 2.0),))
        calls = _calls_target(at, "terraform", "plain terraform calls minimal", where)
        if calls is not None:
            out.append(calls)
    if interrupt:
        where = f"N={interrupt['n']}, {interrupt['latency_ms']:g} ms, {interrupt['stacks']} stacks"
        converged = (interrupt["duplicates"] == 0 and interrupt["missing"] == 0
                     and interrupt["next_deploy"]["exit_status"] == 0)
        out.append(_target("duplicates after Ctrl-C mid-create, once the next `make deploy` ran", where,
                           f"{interrupt['duplicates']} duplicates, {interrupt['missing']} missing "
                           f"(exit {interrupt['interrupted']['exit_status']}, then "
                           f"{interrupt['next_deploy']['exit_status']})", "0 duplicates, 0 missing", converged))
    out += pipeline_targets(pipelines)
    if startup:
        ratio = startup.get("ratio_median")
        out.append(_target("provider start-up (handshake) / floor, medians", "exec to handshake line", ratio,
                           "<= 1.25", ratio is not None and ratio <= 1.25))
    return out
