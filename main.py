#!/usr/bin/env python
"""The CDKTF app: the team's Amazon S3 ingestion (base connections and the dataflows that read
them into datasets), declared once, deployed per sandbox.

Each sandbox is a stack (``s3-dev``, ``s3-stage``, ``s3-prod``) with its own state and its own
``x-sandbox-name``: ``cdktf deploy s3-dev`` deploys one, ``cdktf deploy '*'`` all of them. A change
is a pull request that edits the lists below; ``make plan`` writes what it would do to
``plan.md`` for review.

Credentials never appear here or in cdk.tf.json: they are ephemeral, sensitive Terraform
variables, ``TF_VAR_<prefix>_access_key``, ``..._secret_key``, ``..._session_token``, with the
prefix each sandbox names (so prod can use other keys than dev). To rotate a session token, set
the new value in the variable and bump ``session_token_version`` here.

Provider settings come from the environment (``AEP_CLIENT_ID``, ``AEP_CLIENT_SECRET``,
``AEP_ORG_ID``; see the README). Without ``AEP_FLOW_SERVICE_URL``/``AEP_IMS_URL`` the app targets
the local AEP that ``make demo`` starts; state goes where ``TF_STATE_BACKEND`` says.
"""

from __future__ import annotations

import os
from pathlib import Path

from constructs_lib import (
    Dataflow,
    DataflowOverride,
    Delimited,
    Json,
    MappingSet,
    Placement,
    ProviderSettings,
    S3Connection,
    Sandbox,
    SandboxOverride,
    Schedule,
    StateBackend,
    define,
    synth,
)

# reports=True: each stack's outputs list the files every dataflow reads and its recent runs.
SANDBOXES = [
    Sandbox("dev", credentials="s3", reports=True),
    Sandbox("stage", credentials="s3", reports=True),
    Sandbox("prod", credentials="s3_prod", reports=True),
]

CONNECTIONS = [
    # Adobe's tutorial: Access Key auth with a temporary session token.
    S3Connection(
        key="tutorial",
        name="Amazon S3 base connection",
        description="Amazon S3 base connection with temporary session token",
        session_token_version=1,
    ),
    S3Connection(
        key="orders_landing",
        name="Orders landing zone",
        description="Daily order exports from the shop",
        bucket_name="acme-orders-dev",
        folder_path="exports/orders",
        region="eu-west-1",
        overrides={
            "stage": SandboxOverride(bucket_name="acme-orders-stage"),
            "prod": SandboxOverride(bucket_name="acme-orders", description="Daily order exports (production)"),
        },
    ),
    S3Connection(
        key="crm_profiles",
        name="CRM profile snapshots",
        bucket_name="acme-crm-snapshots",
        folder_path="profiles",
        region="us-east-1",
        session_token=False,
        sandboxes=("dev", "prod"),
    ),
]

# XDM schemas and Data Prep mapping sets are created in AEP beforehand (Schema Registry, Data Prep);
# each sandbox has its own datasets. These ids are the ones the local AEP seeds.
ORDERS_SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
CRM_SCHEMA = "https://ns.adobe.com/acme/schemas/7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
ORDERS_MAPPING = MappingSet("0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e", version=0)

DATAFLOWS = [
    # The CSV exports of the orders landing zone (its folder, in each sandbox's bucket) every 15 minutes.
    Dataflow(
        key="orders_daily",
        name="Orders into the orders dataset",
        connection="orders_landing",
        path="",
        format=Delimited(delimiter=","),
        dataset_id="64d0a1b2c3d4e5f6a7b8c9d0",
        schema_id=ORDERS_SCHEMA,
        mapping=ORDERS_MAPPING,
        schedule=Schedule.every(15, "minute"),
        overrides={
            "stage": DataflowOverride(dataset_id="64d0a1b2c3d4e5f6a7b8c9d1"),
            "prod": DataflowOverride(dataset_id="64d0a1b2c3d4e5f6a7b8c9d2", schedule=Schedule.every(1, "hour")),
        },
    ),
    # The CRM profile snapshots (JSON lines, already XDM): once a day, where the connection exists.
    Dataflow(
        key="crm_profiles_daily",
        name="CRM profiles into the profile dataset",
        connection="crm_profiles",
        format=Json(),
        dataset_id="64d0a1b2c3d4e5f6a7b8c9e0",
        schema_id=CRM_SCHEMA,
        schedule=Schedule.every(1, "day"),
        overrides={"prod": DataflowOverride(dataset_id="64d0a1b2c3d4e5f6a7b8c9e2")},
    ),
]

# Which stack (Terraform state) holds each connection: placement.json, written at synth when
# connections are added or removed; commit it with this file. A sandbox's connections spread over
# as many stacks as this bound needs (`make rebalance` applies a new bound without touching AEP).
PLACEMENT = Placement.file(Path(__file__).with_name("placement.json"), bound=200)

# The embedded default: the local AEP `make demo` starts (it exports these for its PORT).
LOCAL_FLOW_SERVICE_URL = "http://127.0.0.1:8750/data/foundation/flowservice"
LOCAL_IMS_URL = "http://127.0.0.1:8750"


def settings() -> ProviderSettings:
    env = os.environ.get
    return ProviderSettings(
        flow_service_url=env("AEP_FLOW_SERVICE_URL") or LOCAL_FLOW_SERVICE_URL,
        ims_url=env("AEP_IMS_URL") or LOCAL_IMS_URL,
    )


if __name__ == "__main__":
    synth.run(lambda app: define(app, SANDBOXES, CONNECTIONS, settings(), StateBackend.from_env(), DATAFLOWS,
                                 PLACEMENT))
