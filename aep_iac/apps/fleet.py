"""N connections in one sandbox stack, for the interrupt tests and the benchmarks.

``FLEET_CONNECTIONS`` (default 10) connections named ``fleet-001``..., in the stack ``s3-fleet``
for sandbox ``FLEET_SANDBOX`` (default ``prod``); ``FLEET_SESSION_TOKEN_VERSION`` rotates every
session token at once. ``FLEET_DATAFLOWS`` (default 0) gives that many of them a dataflow (a
source connection of their folder, a target connection, a flow every 15 minutes) into the
local AEP's seeded orders dataset. Credentials: ``TF_VAR_s3_access_key``,
``..._secret_key``, ``..._session_token``. ``FLEET_BOUND`` spreads the connections over stacks of at
most that many (``s3-fleet``, ``s3-fleet-2``...), placed by ``placement.json`` beside the app.
"""

from __future__ import annotations

import os
from pathlib import Path

from aep_iac.apps import FLEET_STACK
from constructs_lib import (
    Dataflow,
    Delimited,
    MappingSet,
    Placement,
    ProviderSettings,
    S3Connection,
    Sandbox,
    Schedule,
    StateBackend,
    define,
    synth,
)

#: The local AEP's seeded ids (prod's orders dataset, its schema and mapping set).
DATASET = "64d0a1b2c3d4e5f6a7b8c9d2"
SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
MAPPING = MappingSet("0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e")


def connections(count: int, version: str) -> list[S3Connection]:
    return [S3Connection(key=f"fleet_{i:03d}", name=f"fleet-{i:03d}", description=f"Fleet connection {i}",
                         bucket_name=f"fleet-bucket-{i % 7}", folder_path=f"in/{i:03d}", region="us-east-1",
                         session_token_version=version)
            for i in range(1, count + 1)]


def dataflows(count: int) -> list[Dataflow]:
    return [Dataflow(key=f"flow_{i:03d}", name=f"fleet-flow-{i:03d}", connection=f"fleet_{i:03d}",
                     format=Delimited(), dataset_id=DATASET, schema_id=SCHEMA, mapping=MAPPING,
                     schedule=Schedule.every(15, "minute"))
            for i in range(1, count + 1)]


_BOUND = os.environ.get("FLEET_BOUND")
#: Where the connections go when FLEET_BOUND is set (the app's placement, as main.py's PLACEMENT).
PLACEMENT = Placement.file(Path(__file__).with_name("placement.json"), int(_BOUND)) if _BOUND else None


def main() -> None:
    env = os.environ.get
    sandbox = Sandbox(env("FLEET_SANDBOX", "prod"), stack=FLEET_STACK)
    declared = connections(int(env("FLEET_CONNECTIONS", "10")), env("FLEET_SESSION_TOKEN_VERSION", "1"))
    flows = dataflows(int(env("FLEET_DATAFLOWS", "0")))
    settings = ProviderSettings(flow_service_url=env("AEP_FLOW_SERVICE_URL"), ims_url=env("AEP_IMS_URL"))
    synth.run(lambda app: define(app, [sandbox], declared, settings, StateBackend.from_env(), flows, PLACEMENT))


if __name__ == "__main__":
    main()
