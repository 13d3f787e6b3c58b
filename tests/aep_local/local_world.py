"""A moto S3 server, an emulator pointed at it, and helpers for buckets, flows, runs and what they
land: shared by the runs' tests and the landing tests."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import boto3
import requests

from aep_local.local_s3 import SAMPLE_DATA
from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import (
    CRM_DATASET,
    CRM_SCHEMA,
    ORDERS_DATASET,
    Api,
    Ingestion,
    Platform,
)

SANDBOX = "dev"


class World:
    """The moto S3 server, an emulator pointed at it, and helpers for buckets, flows and runs."""

    def __init__(self, s3_url: str, svc: LocalAep, session: requests.Session) -> None:
        self.s3_url = s3_url
        self.s3 = boto3.client("s3", endpoint_url=s3_url, region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")
        self.svc = svc
        self.api = Api(svc, svc.auth_headers(sandbox=SANDBOX), session)
        self.ing = Ingestion(self.api)
        self.platform = Platform(self.api)
        self.flows: list[str] = []

    def disable_all(self) -> None:
        """Flows of earlier tests must not run while later tests advance the clock."""
        for flow in self.flows:
            self.api.call("POST", f"/flows/{flow}/action", params={"op": "disable"})
        self.flows.clear()

    def bucket(self, files: dict[str, bytes] | None = None) -> str:
        """A fresh bucket; by default holding the sample orders under exports/orders/."""
        name = f"runs-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=name)
        if files is None:
            sample = SAMPLE_DATA / "acme-orders-dev"
            files = {p.relative_to(sample).as_posix(): p.read_bytes() for p in sample.rglob("*") if p.is_file()}
        for key, body in files.items():
            self.s3.put_object(Bucket=name, Key=key, Body=body)
        return name

    def flow(self, path: str, *, data_format: str = "delimited", mapping: bool = True, recursive: Any = True,
             path_type: str = "folder", properties: dict[str, Any] | None = None,
             target: str | None = None, mapping_id: str | None = None, **schedule: Any) -> str:
        base = self.ing.base(bucketName=path.split("/")[1])
        source = self.ing.source(base, path, data_format=data_format, path_type=path_type, recursive=recursive,
                                 **(properties or {}))
        if target is not None:
            pass
        elif data_format == "delimited":
            target = self.ing.target(ORDERS_DATASET[SANDBOX])
        else:
            target = self.ing.target(CRM_DATASET[SANDBOX], CRM_SCHEMA)
        kwargs: dict[str, Any] = {} if mapping else {"mapping": None}
        if mapping_id is not None:
            kwargs["mapping"] = mapping_id
        flow = self.ing.flow(source, target, **kwargs, **schedule)
        self.flows.append(flow)
        return flow

    def advance(self, seconds: float) -> list[str]:
        resp = requests.post(self.svc.url + "/__local/scheduler/advance", json={"seconds": seconds}, timeout=60)
        assert resp.status_code == 200, resp.text
        runs: list[str] = resp.json()["runs"]
        return runs

    def tick(self) -> list[str]:
        resp = requests.post(self.svc.url + "/__local/scheduler/tick", timeout=60)
        assert resp.status_code == 200, resp.text
        runs: list[str] = resp.json()["runs"]
        return runs

    def now(self) -> int:
        return int(requests.get(self.svc.url + "/__local/scheduler", timeout=10).json()["now"])

    def run(self, run_id: str) -> dict[str, Any]:
        return self.ing.item(f"/runs/{run_id}")

    def runs(self, flow_id: str, **query: Any) -> list[dict[str, Any]]:
        resp = self.api.call("GET", "/runs", params={"property": f"flowId=={flow_id}", **query})
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    def expected(self, bucket: str, keys: list[str]) -> dict[str, int]:
        """Counts made here from the objects themselves: rows after the header, failed = other widths."""
        records = failed = size = 0
        for key in keys:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            size += len(body)
            rows = [r for r in csv.reader(io.StringIO(body.decode())) if r]
            records += len(rows) - 1
            failed += sum(1 for r in rows[1:] if len(r) != len(rows[0]))
        return {"inputFileCount": len(keys), "inputRecordCount": records, "failedRecordCount": failed,
                "outputRecordCount": records - failed, "inputBytes": size}


