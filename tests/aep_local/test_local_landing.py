"""A run's records land in its target dataset: one Catalog batch per run that read files, with
the run's counts, the records mapped and typed by the flow's mapping set, and the rows that could
not be converted failed with an error naming their row and column. The files are real objects in
a moto S3 server; the scheduler is driven by tick and advance (nothing sleeps)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import CRM_DATASET, EVENT, ORDERS_DATASET
from tests.aep_local.local_world import SANDBOX, World
from tests.moto_server import MotoServer

ORDERS_CSV = (b"order_id,quantity,total,paid,day,ordered_at\n"
              b"A-1,2,10.50,true,2024-02-01,2024-02-01T10:00:00Z\n"
              b"A-2,two,3.00,false,2024-02-02,2024-02-02T11:00:00Z\n"       # row 2: quantity is no integer
              b"A-3,1,,TRUE,2024-02-03,2024-02-03T12:00:00+01:00\n"          # an empty cell is no value
              b"A-4,1,4.25,maybe,2024-02-04,2024-02-04T13:00:00Z\n"          # row 4: paid is no boolean
              b"A-5,1,1.00,false\n"                                           # row 5: a column short
              b"A-6,3,7,false,2024-13-01,2024-02-06T15:00:00Z\n")            # row 6: no such month


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with MotoServer() as moto, LocalAep(args=["--no-scheduler", "--s3-endpoint", moto.url,
                                              "--sandboxes", "dev,stage"]) as svc, requests.Session() as session:
        yield World(moto.url, svc, session)


@pytest.fixture(autouse=True)
def quiet(world: World) -> Iterator[None]:
    yield
    world.disable_all()


def batch_of(world: World, dataset: str, run_id: str) -> tuple[str, dict[str, Any]]:
    resp = world.platform.catalog("GET", "/batches", params={"dataSet": dataset, "limit": "100"})
    batches = world.platform.created(resp, 200)
    found = [(bid, b) for bid, b in batches.items()
             if {"type": "flowRun", "id": run_id} in b["relatedObjects"]]
    assert len(found) == 1, batches
    return found[0]


def landing_flow(world: World, files: dict[str, bytes], schema: str, dataset: str,
                 *mappings: tuple[str, str, str], **schedule: Any) -> tuple[str, str]:
    """(flow, bucket): a flow over a fresh bucket holding `files` (under in/), writing `dataset` with a
    new mapping set of `mappings`."""
    mapping = world.platform.mapping_set(schema, *mappings)
    target = world.ing.target(dataset, schema)
    bucket = world.bucket({f"in/{name}": body for name, body in files.items()})
    flow = world.flow(f"/{bucket}/in", frequency="minute", interval=15, target=target, mapping_id=mapping["id"],
                      **{"startTime": world.now() - 1, **schedule})
    return flow, bucket


def test_the_sample_orders_land_in_the_seeded_dataset(world: World) -> None:
    bucket = world.bucket()
    flow = world.flow(f"/{bucket}/exports/orders", startTime=world.now() - 1, frequency="minute", interval=15)
    (run_id,) = world.tick()
    counts = world.run(run_id)["metrics"]["recordSummary"]
    assert counts == {"inputRecordCount": 72, "outputRecordCount": 70, "failedRecordCount": 2}
    dataset = ORDERS_DATASET[SANDBOX]
    batch_id, batch = batch_of(world, dataset, run_id)
    assert batch["status"] == "success"
    assert {"type": "dataSet", "id": dataset} in batch["relatedObjects"]
    assert {"type": "flow", "id": flow} in batch["relatedObjects"]
    metrics = batch["metrics"]
    assert (metrics["recordsRead"], metrics["recordsWritten"], metrics["failedRecordCount"]) == (72, 70, 2)
    assert metrics["inputFileCount"] == 3 and batch["completed"] >= batch["created"]
    assert world.platform.created(world.platform.catalog("GET", f"/batches/{batch_id}"), 200)[batch_id] == batch
    assert world.platform.get_dataset(dataset)["lastBatchId"] == batch_id
    landed = world.svc.landed(dataset, sandbox=SANDBOX)
    mine = [r for r in landed["records"] if r["_acme"]["orderId"].startswith("ORD-")]
    assert len(mine) >= 70
    first = mine[0]
    assert isinstance(first["commerce"]["order"]["priceTotal"], float | int)
    assert first["_acme"]["orderedAt"].endswith("Z")      # a date-time field


def test_values_that_do_not_fit_their_fields_fail_their_rows(world: World) -> None:
    platform = world.platform
    group = platform.field_group(extends=EVENT, orderId="string", quantity="integer", total={"type": "number"},
                                 paid="boolean", day={"type": "string", "format": "date"})
    schema = platform.schema(group["$id"], class_id=EVENT)["$id"]
    dataset = platform.dataset(schema)
    _, bucket = landing_flow(world, {"orders.csv": ORDERS_CSV}, schema, dataset,
                        ("ATTRIBUTE", "order_id", "_acme.orderId"), ("ATTRIBUTE", "quantity", "_acme.quantity"),
                        ("ATTRIBUTE", "total", "_acme.total"), ("ATTRIBUTE", "paid", "_acme.paid"),
                        ("ATTRIBUTE", "day", "_acme.day"), ("ATTRIBUTE", "ordered_at", "timestamp"),
                        ("STATIC", "s3", "eventType"))
    (run_id,) = world.tick()
    run = world.run(run_id)
    assert run["metrics"]["recordSummary"] == {"inputRecordCount": 6, "outputRecordCount": 2, "failedRecordCount": 4}
    assert run["metrics"]["statusSummary"]["status"] == "partialSuccess"
    messages = {e["code"]: [] for e in run["metrics"]["statusSummary"]["errors"]}
    for error in run["metrics"]["statusSummary"]["errors"]:
        messages[error["code"]].append(error["message"])
    unmapped = messages["MAPPER-3701-400"]
    assert len(unmapped) == 3
    assert f"/{bucket}/in/orders.csv row 2, column quantity: 'two' is not an integer" in unmapped[0]
    assert "row 4, column paid" in unmapped[1] and "row 6, column day" in unmapped[2]
    assert "1 of 6 records could not be parsed" in messages["INGEST-1001-400"][0]
    _, batch = batch_of(world, dataset, run_id)
    assert (batch["metrics"]["recordsRead"], batch["metrics"]["recordsWritten"],
            batch["metrics"]["failedRecordCount"]) == (6, 2, 4)
    landed = world.svc.landed(dataset, sandbox=SANDBOX)
    assert landed["recordCount"] == 2 and landed["failedRecordCount"] == 4
    assert landed["records"] == [
        {"_acme": {"orderId": "A-1", "quantity": 2, "total": 10.5, "paid": True, "day": "2024-02-01"},
         "timestamp": "2024-02-01T10:00:00Z", "eventType": "s3"},
        {"_acme": {"orderId": "A-3", "quantity": 1, "paid": True, "day": "2024-02-03"},
         "timestamp": "2024-02-03T12:00:00+01:00", "eventType": "s3"},
    ]
    # the next slot finds no new file: a run without files lands no batch
    (again,) = world.advance(900)
    assert world.run(again)["metrics"]["fileSummary"]["inputFileCount"] == 0
    assert world.svc.landed(dataset, sandbox=SANDBOX)["batches"] == landed["batches"]


def test_a_run_whose_every_row_fails_lands_a_failed_batch(world: World) -> None:
    platform = world.platform
    schema, dataset = platform.pipeline(count="integer")
    landing_flow(world, {"bad.csv": b"n\nx\ny\n"}, schema, dataset, ("ATTRIBUTE", "n", "_acme.count"))
    (run_id,) = world.tick()
    assert world.run(run_id)["metrics"]["statusSummary"]["status"] == "failed"
    _, batch = batch_of(world, dataset, run_id)
    assert batch["status"] == "failed" and batch["metrics"]["recordsWritten"] == 0
    assert platform.get_dataset(dataset)["lastBatchStatus"] == "failed"


def test_json_lines_without_a_mapping_land_as_they_are(world: World) -> None:
    sample = b'{"personId": "P-1", "firstName": "Ada"}\n{"personId": "P-2", "firstName": "Grace"}\n'
    bucket = world.bucket({"profiles/p.jsonl": sample})
    world.flow(f"/{bucket}/profiles", data_format="json", mapping=False, startTime=world.now() - 1,
               frequency="minute", interval=15)
    (run_id,) = world.tick()
    dataset = CRM_DATASET[SANDBOX]
    _, batch = batch_of(world, dataset, run_id)
    assert batch["metrics"]["recordsWritten"] == 2 and batch["inputFormat"] == {"format": "json"}
    assert {"personId": "P-1", "firstName": "Ada"} in world.svc.landed(dataset, sandbox=SANDBOX)["records"]


def test_a_deleted_mapping_set_fails_the_run(world: World) -> None:
    platform = world.platform
    schema, dataset = platform.pipeline(customerId="string")
    flow, _ = landing_flow(world, {"a.csv": b"id\n1\n"}, schema, dataset, ("ATTRIBUTE", "id", "_acme.customerId"),
                           startTime=world.now() + 60)
    mapping = world.ing.item(f"/flows/{flow}")["transformations"][0]["params"]
    assert platform.prep("DELETE", f"/mappingSets/{mapping['mappingId']}").status_code == 204
    (run_id,) = world.advance(120)
    status = world.run(run_id)["metrics"]["statusSummary"]
    assert status["status"] == "failed" and "mapping set" in status["errors"][0]["message"]
    assert world.svc.landed(dataset, sandbox=SANDBOX)["batches"] == []


def test_a_deleted_dataset_gets_no_batch(world: World) -> None:
    platform = world.platform
    schema, dataset = platform.pipeline(customerId="string")
    landing_flow(world, {"a.csv": b"id\n1\n"}, schema, dataset, ("ATTRIBUTE", "id", "_acme.customerId"),
                 startTime=world.now() + 60)
    assert platform.catalog("DELETE", f"/dataSets/{dataset}").status_code == 200
    (run_id,) = world.advance(120)
    assert world.run(run_id)["metrics"]["recordSummary"]["outputRecordCount"] == 1
    assert world.svc.landed(dataset, sandbox=SANDBOX)["batches"] == []
