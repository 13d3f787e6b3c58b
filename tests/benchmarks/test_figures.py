"""The benchmark's arithmetic on made-up steps: rows per series, the bound table, the shares and the
targets (no tool runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import figures, providerstats
from benchmarks.step import Step

NEEDED = {"create": {"POST": 1}, "noop": {"GET": 1}, "rotate": {"GET": 1, "PATCH": 1},
          "destroy": {"GET": 1, "DELETE": 1}}


def step(tool: str, operation: str, seconds: float, n: int = 1000, latency: float = 150.0, **fields: Any) -> Step:
    calls = {} if tool.startswith(("terraform_data", "trivial")) else {
        "POST": 0, "GET": 0, "LIST": 0, "PATCH": 0, "DELETE": 0, "IMS": 1,
        **{k: v * n for k, v in NEEDED[operation].items()}}
    provider = None if tool in ("floor", "terraform_data", "terraform_data_k") else {
        "processes": 4, "cpu_ms": 3.0 * n, "max_rss_mb": 90.0, "rpc_cpu_ms": {"PlanResourceChange": 1.0 * n}}
    return Step(tool, operation, n, latency if tool not in ("terraform_data", "trivial") else 0.0, tool, seconds,
                calls, 0, 10 if tool != "terraform_data" else 0, provider, **fields)


def cell(n: int = 1000) -> list[Step]:
    out = []
    for op in ("create", "noop", "rotate", "destroy"):
        out += [step("floor", op, 10.0, n), step("deploy", op, 12.0, n, bound=200, stacks=5),
                step("deploy", op, 16.0, n, bound=200, stacks=5, backend="s3"), step("terraform", op, 40.0, n),
                step("terraform_data", op, 30.0, n), step("trivial", op, 33.0, n),
                step("deploy", op, 14.0, n, bound=100, stacks=10)]
    return out


def test_rows_keep_each_series_and_leave_other_bounds_to_the_bound_table() -> None:
    steps = cell()
    table = figures.rows(steps, 200)
    assert [r["operation"] for r in table] == ["create", "noop", "rotate", "destroy"]
    row = table[0]
    assert row["seconds"] == {"deploy": 12.0, "deploy_s3": 16.0, "terraform": 40.0, "terraform_data": 30.0,
                              "trivial": 33.0, "floor": 10.0}
    assert row["ratio"]["deploy"] == 1.2 and row["ratio"]["deploy_s3"] == 1.6
    assert row["details"]["deploy"]["provider_cpu_ms_per_connection"] == 3.0
    assert row["details"]["deploy"]["outside_rpcs_cpu_ms_per_connection"] == 2.0
    bounds = figures.bound_table(steps, table)
    assert [(b["bound"], b["stacks"], b["seconds"]["create"], b["ratio"]["create"]) for b in bounds] == [
        (100, 10, 14.0, 1.4), (200, 5, 12.0, 1.2)]


def test_offline_series_appear_at_every_latency_and_split_the_time() -> None:
    steps = cell(200) + [s for s in cell(200) if s.tool in ("floor", "deploy", "terraform")]
    for s in steps[len(cell(200)):]:
        s.latency_ms = 0.0
    table = figures.rows(steps, 200)
    assert {r["latency_ms"] for r in table if "trivial" in r["seconds"]} == {0.0, 150.0}
    share = figures.shares(table)[0]
    assert share["latency_ms"] == 0.0
    assert share["protocol_s"] == pytest.approx(3.0) and share["api_and_resources_s"] == pytest.approx(7.0)


def test_targets_read_the_issue_cells() -> None:
    table = figures.rows(cell(1000) + cell(200), 200)
    found = {(t["target"], t["where"]): t for t in figures.targets(table, None)}
    create = found[("`make deploy` create / floor (POST)", "N=1000, 150 ms, local state")]
    assert create["value"] == 1.2 and create["met"]
    s3 = found[("`make deploy` create / floor (POST)", "N=1000, 150 ms, S3 state")]
    assert s3["value"] == 1.6 and not s3["met"]
    plain = found[("plain `terraform apply` create / floor", "N=200, 150 ms")]
    assert plain["value"] == 4.0 and not plain["met"]
    calls = found[("`make deploy`/`plan`/`destroy` calls minimal", "N=1000, 150 ms, local state")]
    assert calls["met"] and calls["value"].startswith("4 of 4")
    cpu = found[("provider CPU per create, all of it", "N=1000, 150 ms, local state")]
    assert cpu["value"] == 3.0 and cpu["met"]


def test_anomalies_name_extra_calls_and_a_broken_bound() -> None:
    extra = step("deploy", "create", 1.0, n=10, bound=5, stacks=2)
    extra.calls["GET"] = 3
    extra.peak_in_flight = 12
    found = figures.anomalies([extra], 10)
    assert any("expected" in a for a in found) and any("above the bound of 10" in a for a in found)


def test_a_warm_servers_cpu_is_read_from_the_part_of_its_log_a_step_wrote(tmp_path: Path) -> None:
    log = tmp_path / "warm-provider.log"
    assert providerstats.log_offset(log) == 0 and providerstats.warm_servers(log, 0) == []
    log.write_bytes(b"warm provider server 1: exiting; its own CPU (children not counted) 250 ms\n")
    offset = providerstats.log_offset(log)
    with log.open("ab") as more:
        more.write(b"warm provider server 2: listening on /x; preloaded 900 modules in 0.31 s\n"
                   b"warm provider server 2: exiting; its own CPU (children not counted) 310 ms\n")
    assert providerstats.warm_servers(log, offset) == [310.0]
    stats = providerstats.collect(tmp_path / "no-stats", [310.0])
    assert stats["warm_servers"] == 1 and stats["cpu_ms"] == 310.0
