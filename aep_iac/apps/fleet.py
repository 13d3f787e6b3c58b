"""N connections in one sandbox stack, for the interrupt tests and the benchmarks.

``FLEET_CONNECTIONS`` (default 10) connections named ``fleet-001``..., in the stack ``s3-fleet``
for sandbox ``FLEET_SANDBOX`` (default ``prod``); ``FLEET_SESSION_TOKEN_VERSION`` rotates every
session token at once. ``FLEET_DATAFLOWS`` (default 0) gives that many of them a dataflow (a
source connection of their folder, a target connection, a flow every 15 minutes). Without
``FLEET_TARGETS`` the flows write into the local AEP's seeded orders dataset; with
``FLEET_TARGETS=k`` (k >= 1) the app declares k XDM schemas, k datasets and k mapping sets, and
dataflow i writes through target i mod k: N connections with N dataflows are then N pipelines
(:func:`pipeline_objects` counts what they are made of). Credentials: ``TF_VAR_s3_access_key``,
``..._secret_key``, ``..._session_token``. ``FLEET_BOUND`` spreads the connections over stacks of at
most that many (``s3-fleet``, ``s3-fleet-2``...), placed by ``placement.json`` beside the app; the
targets sit in the first stack, and the other stacks find them by name.
"""

from __future__ import annotations

import os
from pathlib import Path

from aep_iac.apps import FLEET_STACK
from constructs_lib import (
    Dataflow,
    Dataset,
    Delimited,
    Map,
    Mappings,
    MappingSet,
    Placement,
    ProviderSettings,
    S3Connection,
    Sandbox,
    Schedule,
    StateBackend,
    XdmSchema,
    define,
    synth,
)

#: The local AEP's seeded ids (prod's orders dataset, its schema and mapping set).
DATASET = "64d0a1b2c3d4e5f6a7b8c9d2"
SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
MAPPING = MappingSet("0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e")
#: The fields of every declared fleet schema, and the CSV column each one is mapped from.
FIELDS = {"orderId": "string", "customerId": "string", "total": "number", "orderedAt": "date-time"}
COLUMNS = {"orderId": "order_id", "customerId": "customer_id", "total": "total", "orderedAt": "ordered_at"}


def connections(count: int, version: str) -> list[S3Connection]:
    return [S3Connection(key=f"fleet_{i:03d}", name=f"fleet-{i:03d}", description=f"Fleet connection {i}",
                         bucket_name=f"fleet-bucket-{i % 7}", folder_path=f"in/{i:03d}", region="us-east-1",
                         session_token_version=version)
            for i in range(1, count + 1)]


def target_of(index: int, targets: int) -> int:
    """Which declared target (0 .. targets - 1) dataflow ``index`` writes through: ``index`` mod ``targets``."""
    return index % targets


def schemas(count: int) -> list[XdmSchema]:
    return [XdmSchema(key=f"fleet_schema_{j:03d}", name=f"Fleet schema {j:03d}", fields=FIELDS) for j in range(count)]


def datasets(count: int) -> list[Dataset]:
    return [Dataset(key=f"fleet_dataset_{j:03d}", name=f"Fleet dataset {j:03d}", schema=f"fleet_schema_{j:03d}")
            for j in range(count)]


def mappings(count: int) -> list[Mappings]:
    return [Mappings(key=f"fleet_mapping_{j:03d}", name=f"Fleet mapping {j:03d}", schema=f"fleet_schema_{j:03d}",
                     rules=[Map(column, field) for field, column in COLUMNS.items()])
            for j in range(count)]


def dataflows(count: int, targets: int = 0) -> list[Dataflow]:
    """``count`` dataflows: into the seeded dataset (``targets`` 0), or each through declared target i mod k."""
    flows = []
    for i in range(1, count + 1):
        j = target_of(i, targets) if targets else None
        flows.append(Dataflow(key=f"flow_{i:03d}", name=f"fleet-flow-{i:03d}", connection=f"fleet_{i:03d}",
                              format=Delimited(), schedule=Schedule.every(15, "minute"),
                              dataset=None if j is None else f"fleet_dataset_{j:03d}",
                              dataset_id=DATASET if j is None else "", schema_id=SCHEMA if j is None else "",
                              mapping=MAPPING if j is None else f"fleet_mapping_{j:03d}"))
    return flows


def pipeline_objects(pipelines: int, targets: int) -> dict[str, int]:
    """What ``pipelines`` connections with a dataflow each, over ``targets`` declared targets, are made of:
    objects per kind as Terraform counts them (an XDM schema is one resource, two Registry objects)."""
    return {"aep_s3_base_connection": pipelines, "aep_source_connection": pipelines,
            "aep_target_connection": pipelines, "aep_dataflow": pipelines, "aep_xdm_schema": targets,
            "aep_dataset": targets, "aep_mapping_set": targets}


_BOUND = os.environ.get("FLEET_BOUND")
#: Where the connections go when FLEET_BOUND is set (the app's placement, as main.py's PLACEMENT).
PLACEMENT = Placement.file(Path(__file__).with_name("placement.json"), int(_BOUND)) if _BOUND else None


def main() -> None:
    env = os.environ.get
    sandbox = Sandbox(env("FLEET_SANDBOX", "prod"), stack=FLEET_STACK)
    declared = connections(int(env("FLEET_CONNECTIONS", "10")), env("FLEET_SESSION_TOKEN_VERSION", "1"))
    targets = int(env("FLEET_TARGETS", "0"))
    flows = dataflows(int(env("FLEET_DATAFLOWS", "0")), targets)
    settings = ProviderSettings(flow_service_url=env("AEP_FLOW_SERVICE_URL"), ims_url=env("AEP_IMS_URL"))
    synth.run(lambda app: define(app, [sandbox], declared, settings, StateBackend.from_env(), flows, PLACEMENT,
                                 schemas=schemas(targets), datasets=datasets(targets), mappings=mappings(targets)))


if __name__ == "__main__":
    main()
