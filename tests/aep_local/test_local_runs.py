"""Runs read real objects: a moto S3 server holds the files, the scheduler is driven by
`/__local/scheduler/tick|advance` (no background thread, no sleeps), and each run's metrics are
compared with counts the test makes itself from the same objects."""

from __future__ import annotations

import bz2
import gzip
import json
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from aep_local.local_s3 import SAMPLE_DATA, seed
from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import (
    Api,
    Ingestion,
    assert_flow_error,
)
from tests.aep_local.local_world import SANDBOX, World
from tests.moto_server import MotoServer


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with MotoServer() as moto, LocalAep(args=["--no-scheduler", "--s3-endpoint", moto.url,
                                                     "--sandboxes", "dev,stage"]) as svc, \
            requests.Session() as session:
        yield World(moto.url, svc, session)


@pytest.fixture(autouse=True)
def quiet(world: World) -> Iterator[None]:
    yield
    world.disable_all()


def summary(run: dict[str, Any]) -> dict[str, int]:
    m = run["metrics"]
    return {"inputFileCount": m["fileSummary"]["inputFileCount"], **m["recordSummary"],
            "inputBytes": m["sizeSummary"]["inputBytes"]}


def test_scheduled_runs_take_new_and_modified_files(world: World) -> None:
    bucket = world.bucket()
    flow = world.flow(f"/{bucket}/exports/orders", startTime=world.now() - 30, frequency="minute", interval=15)
    world.tick()
    [first] = world.runs(flow)
    run = world.run(first["id"])
    keys = [f"exports/orders/orders-2024-0{m}.csv" for m in (1, 2, 3)]
    assert summary(run) == world.expected(bucket, keys)
    assert summary(run) == {"inputFileCount": 3, "inputRecordCount": 72, "failedRecordCount": 2,
                            "outputRecordCount": 70, "inputBytes": summary(run)["inputBytes"]}
    status = run["metrics"]["statusSummary"]
    assert status["status"] == "partialSuccess"
    assert [e["code"] for e in status["errors"]] == ["INGEST-1001-400"]
    assert "orders-2024-02.csv: 2 of 18 records" in status["errors"][0]["message"]
    assert run["metrics"]["fileSummary"]["outputFileCount"] == 3
    assert run["metrics"]["sizeSummary"]["outputBytes"] > 0
    assert run["activities"][0]["recordSummary"] == run["metrics"]["recordSummary"]
    assert run["flowId"] == flow and run["etag"] and run["sandboxName"] == SANDBOX
    details = world.ing.item(f"/flows/{flow}")["lastRunDetails"]
    assert details["id"] == run["id"] and details["state"] == "partialSuccess"
    assert details["startedAtUTC"] <= details["completedAtUTC"]

    # 15 minutes later nothing is new
    [second] = world.advance(900)
    assert summary(world.run(second))["inputFileCount"] == 0
    assert world.run(second)["metrics"]["statusSummary"] == {"status": "success", "errors": []}
    # a new file, one in a subfolder (the source is recursive) and a rewritten one
    world.s3.put_object(Bucket=bucket, Key="exports/orders/orders-2024-04.csv",
                        Body=b"order_id,customer_id,total,currency,ordered_at\nA,B,1.00,USD,2024-04-01T00:00:00Z\n")
    world.s3.put_object(Bucket=bucket, Key="exports/orders/archive/old.csv",
                        Body=b"order_id,customer_id,total,currency,ordered_at\nC,D,2.00,EUR,2023-01-01T00:00:00Z\nE\n")
    world.s3.put_object(Bucket=bucket, Key="exports/orders/orders-2024-01.csv",
                        Body=b"order_id,customer_id,total,currency,ordered_at\nF,G,3.00,GBP,2024-01-02T00:00:00Z\n")
    [third] = world.advance(900)
    changed = ["exports/orders/archive/old.csv", "exports/orders/orders-2024-01.csv",
               "exports/orders/orders-2024-04.csv"]
    assert summary(world.run(third)) == world.expected(bucket, changed)
    assert summary(world.run(third))["failedRecordCount"] == 1
    # two slots in one advance: two runs, at their own times
    assert len(world.advance(1800)) == 2
    listed = world.runs(flow)
    assert len(listed) == 5
    created = [r["createdAt"] for r in listed]
    assert created == sorted(created, reverse=True)             # newest first by default
    assert created[0] - created[1] == 900_000                     # slots 15 minutes apart
    oldest = world.runs(flow, orderby="createdAt", limit=2)
    assert [r["id"] for r in oldest] == [first["id"], second]
    counted = world.api.call("GET", "/runs", params={"property": f"flowId=={flow}", "count": "true"}).json()
    assert counted == {"count": 5}
    failed_only = world.runs(flow, **{"property": [f"flowId=={flow}", "metrics.statusSummary.status==partialSuccess"]})
    assert {r["id"] for r in failed_only} == {first["id"], third}


def test_paging_through_runs(world: World) -> None:
    bucket = world.bucket({})
    flow = world.flow(f"/{bucket}/in", startTime=world.now() - 1, frequency="minute", interval=15)
    world.advance(900 * 4)
    page = world.api.call("GET", "/runs", params={"property": f"flowId=={flow}", "limit": 2}).json()
    seen = [r["id"] for r in page["items"]]
    while "next" in page["_links"]:
        page = world.api.session.get(world.svc.flow_url + page["_links"]["next"]["href"],
                                     headers=world.api.headers, timeout=10).json()
        seen += [r["id"] for r in page["items"]]
    assert seen == [r["id"] for r in world.runs(flow)] and len(seen) == 5


def test_first_run_without_backfill_takes_only_files_after_start(world: World) -> None:
    bucket = world.bucket()
    world.flow(f"/{bucket}/exports/orders", startTime=world.now() + 60, frequency="minute", interval=15,
               backfill=False)
    assert world.tick() == []                       # not due yet
    [first] = world.advance(60)
    assert summary(world.run(first))["inputFileCount"] == 0   # every file is older than startTime
    world.s3.put_object(Bucket=bucket, Key="exports/orders/late.csv", Body=b"a,b\n1,2\n3,4\n")
    [second] = world.advance(900)
    assert summary(world.run(second))["inputRecordCount"] == 2
    backfilled = world.flow(f"/{bucket}/exports/orders", startTime=world.now() + 60, frequency="minute",
                            interval=15, backfill=True)
    world.advance(60)
    [run] = world.runs(backfilled)
    assert summary(run)["inputFileCount"] == 4


def test_once_flow_runs_once_and_on_demand(world: World) -> None:
    bucket = world.bucket()
    flow = world.flow(f"/{bucket}/exports/orders", startTime=world.now() + 600, frequency="once")
    assert world.tick() == []
    assert len(world.advance(600)) == 1
    world.advance(86400)
    [scheduled] = world.runs(flow)
    assert summary(scheduled)["inputRecordCount"] == 72
    now = int(time.time())
    body = {"flowId": flow, "params": {"startTime": world.now(), "windowStartTime": now - 3600,
                                       "windowEndTime": now + 3600}}
    resp = world.api.call("POST", "/runs", json=body)
    assert resp.status_code == 201, resp.text
    [created] = resp.json()["items"]
    assert set(created) == {"id", "etag"} and resp.headers["Location"].endswith(f"/runs/{created['id']}")
    waiting = world.run(created["id"])
    assert waiting["metrics"]["statusSummary"]["status"] == "inProgress"
    assert waiting["params"] == body["params"]
    assert world.tick() == [created["id"]]
    done = world.run(created["id"])
    assert summary(done)["inputRecordCount"] == 72 and done["etag"] != created["etag"]
    # a window before the files existed takes nothing
    old = world.ing.post("/runs", {"flowId": flow, "params": {"startTime": 0, "windowStartTime": 0,
                                                               "windowEndTime": 1000}})["items"][0]
    world.tick()
    assert summary(world.run(old["id"]))["inputFileCount"] == 0


def test_on_demand_refusals(world: World) -> None:
    bucket = world.bucket({})
    periodic = world.flow(f"/{bucket}/x", startTime=world.now() + 3600, frequency="hour", interval=1)
    once = world.flow(f"/{bucket}/x", startTime=world.now() + 3600, frequency="once")
    params = {"startTime": 1, "windowStartTime": 1, "windowEndTime": 2}
    body = assert_flow_error(world.api.call("POST", "/runs", json={"flowId": periodic, "params": params}), "1422", 400)
    assert "only for flows whose frequency is once" in body["errorMessage"]
    assert world.api.call("POST", f"/flows/{once}/action", params={"op": "disable"}).status_code == 200
    assert_flow_error(world.api.call("POST", "/runs", json={"flowId": once, "params": params}), "1422", 400)
    assert_flow_error(world.api.call("POST", "/runs", json={"flowId": once}), "1304", 400)
    assert_flow_error(world.api.call("POST", "/runs", json={"flowId": once, "params": {"startTime": 1}}), "1304", 400)
    assert_flow_error(world.api.call("POST", "/runs", json={"flowId": "nope", "params": params}), "1312", 400)
    assert_flow_error(world.api.call("POST", "/runs", json={"flowId": once, "params": {
        "startTime": 1, "windowStartTime": 5, "windowEndTime": 2}}), "1312", 400)
    assert_flow_error(world.api.call("GET", "/runs/unknown"), "1101", 404)
    assert_flow_error(world.api.call("DELETE", "/runs/unknown"), "1000", 405)


def _parquet(rows: int) -> bytes:
    """A Parquet file's frame: magic, (no data), a Thrift compact FileMetaData footer, length, magic."""
    def varint(n: int) -> bytes:
        out = b""
        while True:
            if n < 0x80:
                return out + bytes([n])
            out += bytes([(n & 0x7F) | 0x80])
            n >>= 7

    schema_element = b"\x48" + varint(6) + b"schema" + b"\x00"          # field 4 (name): binary
    footer = (b"\x15" + varint(2)                                          # field 1 version: i32 1
              + b"\x19" + b"\x1c" + schema_element                         # field 2 schema: list<struct>[1]
              + b"\x16" + varint(rows * 2)                                 # field 3 num_rows: i64
              + b"\x19" + b"\x0c"                                          # field 4 row_groups: empty list
              + b"\x00")
    return b"PAR1" + b"\x00" * 16 + footer + struct.pack("<I", len(footer)) + b"PAR1"


def test_formats_compression_and_paths(world: World) -> None:
    tsv = b"order_id\tcustomer_id\n1\ta\n2\tb\n3\n"
    jsonl = b'{"a": 1}\n{"a": 2}\nnot json\n[1]\n'
    bucket = world.bucket({
        "gz/orders.tsv.gz": gzip.compress(tsv), "bz/orders.csv.bz2": bz2.compress(b"a,b\n1,2\n"),
        "json/lines.json": jsonl, "json/array.json": json.dumps([{"x": 1}, {"x": 2}, 3]).encode(),
        "json/sub/nested.json": b'{"n": 1}\n',
        "pq/data.parquet": _parquet(123456), "pq/broken.parquet": b"PAR1 not really",
        "wild/a.csv": b"h\n1\n", "wild/b.csv": b"h\n1\n2\n", "wild/c.txt": b"h\n1\n", "wild/deep/d.csv": b"h\n1\n",
    })
    start: dict[str, Any] = {"startTime": world.now() + 5, "frequency": "once"}
    flows = {
        "gzip": world.flow(f"/{bucket}/gz", properties={"columnDelimiter": "\t", "compressionType": "gzip"}, **start),
        "bzip2": world.flow(f"/{bucket}/bz", properties={"compressionType": "bzip2"}, **start),
        "json": world.flow(f"/{bucket}/json", data_format="json", mapping=False, recursive=False, **start),
        "parquet": world.flow(f"/{bucket}/pq", data_format="parquet", mapping=False, **start),
        "wildcard": world.flow(f"/{bucket}/wild/*.csv", recursive=False, **start),
        "file": world.flow(f"/{bucket}/wild/b.csv", path_type="file", recursive=False, **start),
        "missing": world.flow(f"/{bucket}/wild/none.csv", path_type="file", recursive=False, **start),
    }
    assert len(world.advance(5)) == len(flows)
    got = {name: world.runs(flow)[0] for name, flow in flows.items()}
    records = {name: (summary(r)["inputFileCount"], summary(r)["inputRecordCount"], summary(r)["failedRecordCount"])
               for name, r in got.items()}
    assert records == {"gzip": (1, 3, 1), "bzip2": (1, 1, 0), "json": (2, 7, 3), "parquet": (2, 123456, 0),
                       "wildcard": (2, 3, 0), "file": (1, 2, 0), "missing": (0, 0, 0)}
    assert got["parquet"]["metrics"]["statusSummary"]["status"] == "partialSuccess"   # broken.parquet
    assert "INGEST-1002-400" in {e["code"] for e in got["parquet"]["metrics"]["statusSummary"]["errors"]}
    missing = got["missing"]["metrics"]["statusSummary"]
    assert missing["status"] == "failed" and missing["errors"][0]["code"] == "CONNECTOR-1003-404"


def test_s3_errors_fail_the_run(world: World) -> None:
    flow = world.flow("/no-such-bucket-anywhere/in", startTime=world.now() + 5, frequency="once")
    world.advance(5)
    [run] = world.runs(flow)
    status = run["metrics"]["statusSummary"]
    assert status["status"] == "failed" and status["errors"][0]["code"] == "CONNECTOR-1002-403"
    assert "NoSuchBucket" in status["errors"][0]["message"]
    with LocalAep(args=["--no-scheduler", "--s3-endpoint", "http://127.0.0.1:9", "--s3-timeout", "1"]) as svc:
        api = Api(svc, svc.auth_headers(), world.api.session)
        flow = Ingestion(api).flow(startTime=int(time.time()) - 1, frequency="day", interval=1)
        assert len(requests.post(svc.url + "/__local/scheduler/tick", timeout=60).json()["runs"]) == 1
        [run] = api.call("GET", "/runs", params={"property": f"flowId=={flow}"}).json()["items"]
        assert run["metrics"]["statusSummary"]["status"] == "failed"
        assert run["metrics"]["statusSummary"]["errors"][0]["code"] == "CONNECTOR-1001-503"


def test_disabled_flows_skip_their_slots(world: World) -> None:
    bucket = world.bucket({})
    flow = world.flow(f"/{bucket}/in", startTime=world.now() - 1, frequency="hour", interval=1)
    assert len(world.tick()) == 1
    assert world.api.call("POST", f"/flows/{flow}/action", params={"op": "disable"}).status_code == 200
    world.advance(3 * 3600)
    assert len(world.runs(flow)) == 1
    assert world.api.call("POST", f"/flows/{flow}/action", params={"op": "enable"}).status_code == 200
    world.tick()
    assert len(world.runs(flow)) == 1            # missed slots are not made up
    world.advance(3600)
    assert len(world.runs(flow)) == 2            # the schedule resumes at its next slot


def test_runs_and_the_cursor_survive_kill_9(world: World) -> None:
    bucket = world.bucket()
    with LocalAep(args=["--no-scheduler", "--s3-endpoint", world.s3_url, "--sandboxes", "dev"]) as svc:
        other = World(world.s3_url, svc, world.api.session)
        flow = other.flow(f"/{bucket}/exports/orders", startTime=other.now() - 1, frequency="minute", interval=15)
        [first] = other.tick()
        before = other.ing.item(f"/flows/{flow}")
        svc.restart(hard=True)
        other.api.headers = svc.auth_headers(sandbox=SANDBOX)
        assert other.run(first)["metrics"]["recordSummary"]["inputRecordCount"] == 72
        after = other.ing.item(f"/flows/{flow}")
        assert after["etag"] == before["etag"] and after["lastRunDetails"]["id"] == first
        [second] = other.advance(900)            # the cursor was kept: nothing is new
        assert summary(other.run(second))["inputFileCount"] == 0


def test_background_scheduler_runs_due_flows() -> None:
    with LocalAep(args=["--scheduler-interval", "0.1"]) as svc, requests.Session() as session:
        api = Api(svc, svc.auth_headers(), session)
        flow = Ingestion(api).flow(startTime=int(time.time()) - 1, frequency="day", interval=1)
        deadline = time.monotonic() + 20
        runs: list[dict[str, Any]] = []
        while not runs and time.monotonic() < deadline:
            time.sleep(0.05)
            items = api.call("GET", "/runs", params={"property": f"flowId=={flow}"}).json()["items"]
            runs = [r for r in items if r["metrics"]["statusSummary"]["status"] != "inProgress"]
        assert runs, svc.log_tail()
        # no S3 is reachable at the default endpoint without --allow-remote-s3: a failed run
        assert runs[0]["metrics"]["statusSummary"]["status"] == "failed"
        status = requests.get(svc.url + "/__local/scheduler", timeout=10).json()
        assert status["background"] is True and status["interval_s"] == 0.1


def test_seeding_a_local_s3_from_a_folder(world: World) -> None:
    buckets = seed(world.s3_url, SAMPLE_DATA)
    assert buckets == ["acme-crm-snapshots", "acme-orders", "acme-orders-dev", "acme-orders-stage"]
    keys = [o["Key"] for o in world.s3.list_objects_v2(Bucket="acme-orders")["Contents"]]
    assert keys == [f"exports/orders/orders-2024-0{m}.csv" for m in (1, 2, 3)]
