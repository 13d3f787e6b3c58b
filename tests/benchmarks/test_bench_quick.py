"""`python -m benchmarks --quick` still runs end to end and writes sane figures (never timing limits).

The full benchmark is `make bench` and stays out of CI; this keeps its harness from rotting: every
tool's every step measured (the sharded deploy over two stacks, on local and S3 state, plain
terraform, terraform_data in one state and in k, the trivial provider), the floor beside them,
ratios computed, the calls each operation needs counted, and the provider's CPU per RPC kind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aep_iac.project import ROOT

pytestmark = pytest.mark.e2e

#: (tool, backend): what the quick run measures, each for every operation.
RUNS = (("deploy", "local"), ("deploy", "s3"), ("terraform", "local"), ("floor", "local"),
        ("terraform_data", "local"), ("terraform_data_k", "local"), ("trivial", "local"))
OPERATIONS = ("create", "noop", "rotate", "destroy")
OFFLINE = ("terraform_data", "terraform_data_k", "trivial")
#: Calls per connection each operation needs (LIST and IMS are not per connection).
NEEDED = {"create": {"POST": 1}, "noop": {"GET": 1}, "rotate": {"GET": 1, "PATCH": 1},
          "destroy": {"GET": 1, "DELETE": 1}}


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out-dir", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    return out, json.loads((out / "bench.json").read_text())


def test_files_are_written(quick: tuple[Path, dict[str, Any]]) -> None:
    out, results = quick
    assert (out / "bench.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    report = (out / "BENCHMARKS.md").read_text()
    for heading in ("## 150 ms per request", "## Targets of the issue", "## Whose time", "by RPC kind",
                    "Provider start-up", "## Writing the review (plan of N creates)", "## A fleet of pipelines"):
        assert heading in report
    assert "| create | 3 |" in report
    assert results["errors"] == {} and results["anomalies"] == []
    cpu = results["meta"]["cpu_by_cell"]
    assert set(cpu) == set(results["meta"]["load_average"]["by_cell"]) and all(c["wall_s"] > 0 for c in cpu.values())


def test_render_writes_the_same_report_from_bench_json_without_measuring(
        quick: tuple[Path, dict[str, Any]]) -> None:
    out, results = quick
    report = (out / "BENCHMARKS.md").read_text()
    (out / "BENCHMARKS.md").unlink()
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--render", "--out-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert (out / "BENCHMARKS.md").read_text() == report
    assert json.loads((out / "bench.json").read_text()) == results


def test_every_step_is_measured_with_the_calls_it_needs(quick: tuple[Path, dict[str, Any]]) -> None:
    _, results = quick
    steps = results["steps"]
    assert sorted((s["tool"], s["backend"], s["operation"]) for s in steps) == sorted(
        (tool, backend, op) for tool, backend in RUNS for op in OPERATIONS)
    for step in steps:
        n = step["n"]
        assert n == 3 and step["seconds"] > 0, step
        if step["tool"] in ("deploy", "terraform_data_k"):
            assert step["stacks"] == 2 and step["bound"] == 2, step  # 3 connections, at most 2 a stack
        if step["tool"] == "deploy" and step["operation"] in ("create", "rotate"):
            assert step["synth_seconds"] > 0, step
        if step["operation"] == "create" and step["tool"] != "floor":
            # Local state files after create (the S3 backend keeps none here).
            assert (step["state_bytes"] is None) == (step["backend"] == "s3"), step
        if step["operation"] == "create" and step["tool"] == "deploy":  # the review of the N creates, timed
            review = step["review"]
            assert 0 <= review["report_s"] < review["terraform_s"] and review["complete"] is True, step
            assert 0 < review["comment_chars"] <= 65_536 and review["plan_md_chars"] > 0, step
        if step["tool"] in OFFLINE:
            assert step["calls"] == {} and step["peak_in_flight"] == 0, step
        else:
            writes = {k: step["calls"][k] for k in ("POST", "PATCH", "DELETE")}
            wanted = {k: v * n for k, v in NEEDED[step["operation"]].items()}
            assert {k: step["calls"][k] for k in wanted} == wanted, step
            assert all(v == 0 for k, v in writes.items() if k not in wanted), step
            assert step["calls"]["IMS"] == 1 and step["failed"] == 0, step
            assert 1 <= step["peak_in_flight"] <= n, step
        if step["tool"] in ("floor", "terraform_data", "terraform_data_k"):
            assert step["provider"] is None
        else:
            provider = step["provider"]
            assert provider["processes"] >= 1 and provider["cpu_ms"] > 0 and provider["max_rss_mb"] > 0, step
            assert provider["rpc_cpu_ms"].get("GetProviderSchema", 0) > 0, step
            assert sum(provider["rpc_cpu_ms"].values()) <= provider["cpu_ms"], step


def test_rows_have_floor_and_ratios(quick: tuple[Path, dict[str, Any]]) -> None:
    _, results = quick
    rows = results["rows"]
    assert [r["operation"] for r in rows] == list(OPERATIONS)
    for row in rows:
        assert row["floor_s"] > 0 and set(row["seconds"]) == {
            "deploy", "deploy_s3", "terraform", "floor", *OFFLINE}, row
        for series, ratio in row["ratio"].items():
            assert ratio == pytest.approx(row["seconds"][series] / row["floor_s"], abs=0.01), series
        for series in ("deploy", "deploy_s3", "terraform", "trivial"):
            details = row["details"][series]
            assert details["provider_cpu_ms_per_connection"] > 0 and details["provider_max_rss_mb"] > 0
            assert details["rpc_cpu_ms_per_connection"], series
    assert all(t["value"] is not None for t in results["targets"]), results["targets"]
    assert set(results["state_bytes_per_object"]) == {"deploy", "terraform", *OFFLINE}
    shares = results["shares"]
    assert [s["operation"] for s in shares] == list(OPERATIONS)
    for share in shares:
        assert share["protocol_s"] == pytest.approx(share["trivial_s"] - share["terraform_data_s"], abs=0.002)


def test_a_grown_fleet_is_measured_beside_its_floor(quick: tuple[Path, dict[str, Any]]) -> None:
    _, results = quick
    figures = results["grow"]
    assert figures["exit_status"] == 0
    n, added = figures["n"], figures["added"]
    assert figures["calls"]["POST"] == added and figures["calls"]["GET"] == n  # refresh all, create the new
    assert figures["floor_calls"]["POST"] == added and figures["floor_calls"]["GET"] == n
    assert figures["ratio"] == pytest.approx(figures["seconds"] / figures["floor_s"], abs=0.01)


def test_an_interrupted_create_converges_without_duplicates(quick: tuple[Path, dict[str, Any]]) -> None:
    _, results = quick
    figures = results["interrupt"]
    first = figures["interrupted"]
    if first["calls"]["POST"] < figures["n"]:  # stopped part-way: Terraform's graceful stop, 130
        assert first["exit_status"] == 130
    else:  # N=3: every create was answered at once, so the signal lands as the command ends (or after)
        assert first["exit_status"] in (0, 130, -signal.SIGINT)
    assert figures["next_deploy"]["exit_status"] == 0
    assert figures["duplicates"] == 0 and figures["missing"] == 0 and figures["objects"] == figures["n"]
    assert figures["interrupted"]["calls"]["POST"] + figures["next_deploy"]["calls"]["POST"] == figures["n"]
    target = next(t for t in results["targets"] if t["target"].startswith("duplicates after Ctrl-C"))
    assert target["met"]


#: The routes of each pipeline's objects (Flow Service) and of each declared target's (the other services).
PIPELINE_ROUTES = ("/connections", "/sourceConnections", "/targetConnections", "/flows")
TARGET_POSTS = ("/schemaregistry/tenant/fieldgroups", "/schemaregistry/tenant/schemas", "/catalog/dataSets",
                "/conversion/mappingSets")
TARGET_GETS = ("/schemaregistry/tenant/schemas", "/catalog/dataSets", "/conversion/mappingSets")


def needed(operation: str, n: int, k: int, stacks: int) -> dict[str, int]:
    """What the create and the no-op of n pipelines over k declared targets need, over ``stacks``."""
    if operation == "create":
        calls = {f"POST {r}": n for r in PIPELINE_ROUTES} | {f"POST {r}": k for r in TARGET_POSTS if k}
        return calls | ({"GET /schemaregistry/stats": 1} if k else {})
    reads = {f"GET {r}/{{id}}": n for r in PIPELINE_ROUTES} | {f"GET {r}/{{id}}": k for r in TARGET_GETS if k}
    # each stack without the targets looks them up by name: one listing of datasets, one of mapping sets
    return reads | ({f"LIST {r}": stacks - 1 for r in ("/catalog/dataSets", "/conversion/mappingSets")}
                    if k and stacks > 1 else {})


def test_a_fleet_of_pipelines_is_measured_beside_its_floor(quick: tuple[Path, dict[str, Any]]) -> None:
    _, results = quick
    fleets = results["pipelines"]
    # Both over two stacks of at most 2 connections: declared targets (looked up by the second), the seeded one.
    assert [(f["n"], f["targets"], f["bound"], f["stacks"]) for f in fleets] == [(3, 2, 2, 2), (3, 0, 2, 2)]
    for fleet in fleets:
        n, k = fleet["n"], fleet["targets"]
        assert fleet["objects_total"] == 4 * n + 4 * k and fleet["resources"] == 4 * n + 3 * k, fleet
        for operation in ("create", "noop"):
            step = fleet[operation]
            wanted = needed(operation, n, k, fleet["stacks"])
            assert step["needed"] == wanted, (operation, step["needed"])
            # The floor makes exactly what is needed and one token request; the toolchain at least that.
            assert step["floor_calls"] == wanted | {"POST /ims/token/v3": 1}, (operation, step["floor_calls"])
            assert {r: step["calls"].get(r, 0) for r in wanted} == wanted and step["minimal"], (operation, step)
            assert step["calls"]["POST /ims/token/v3"] == 1, step["calls"]
            extra = set(step["beyond_needed"])
            if operation == "noop":  # a plan reads what it needs, nothing else
                assert extra == set(), step["beyond_needed"]
            else:  # the listings that find what an interrupted deploy left, the schema a mapping set is checked
                # on, and the targets the first stack made alone, read again when it applies the rest
                reread = {f"GET {r}/{{id}}" for r in TARGET_GETS} if k else {"GET /schemaregistry/tenant/schemas/{id}"}
                assert all(r.startswith("LIST ") or r in reread for r in extra), extra
            assert step["failed"] == 0 and step["floor_failed"] == 0, step
            assert 1 <= step["peak_in_flight"] <= 10 and 1 <= step["floor_peak_in_flight"] <= 10, step
            assert step["seconds"] > 0 and step["floor_s"] > 0, step
            assert step["ratio"] == pytest.approx(step["seconds"] / step["floor_s"], abs=0.01)
            assert step["provider_processes"] >= 1 and step["provider_cpu_ms_per_object"] > 0, step
    labels = [t["target"] for t in results["targets"] if "pipelines" in t["target"]]
    assert len(labels) == 3, labels
    assert all(t["value"] is not None for t in results["targets"] if t["target"] in labels)


def test_startup_is_measured_beside_its_floor(quick: tuple[Path, dict[str, Any]]) -> None:
    _, results = quick
    startup = results["startup"]
    for kind in ("floor", "provider", "first_rpc"):
        assert startup[kind]["median_ms"] > 0 and len(startup[kind]["samples_ms"]) == startup["launches"]
    assert startup["ratio_median"] == pytest.approx(
        startup["provider"]["median_ms"] / startup["floor"]["median_ms"], abs=0.01)
