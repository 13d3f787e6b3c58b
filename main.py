#!/usr/bin/env python
"""The CDKTF app: the team's Amazon S3 ingestion (base connections, the dataflows that read them,
and the XDM schemas, datasets and mapping sets they write through), declared once, deployed per
sandbox.

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
    Dataset,
    Delimited,
    Json,
    Map,
    Mappings,
    Placement,
    ProviderSettings,
    S3Connection,
    Sandbox,
    SandboxOverride,
    Schedule,
    StateBackend,
    XdmSchema,
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

# Where the records go (Adobe's tutorial, steps 2, 3 and 5), declared once: every sandbox gets its
# own schema, dataset and mapping set, so promoting a dataflow needs no click and no copied id.
SCHEMAS = [
    XdmSchema(
        key="orders",
        name="Orders (S3 exports)",
        description="One order per row of the shop's daily exports",
        fields={"orderId": "string", "customerId": "string", "total": "number", "currency": "string",
                "orderedAt": "date-time"},
    ),
    XdmSchema(
        key="crm_profiles",
        name="CRM profiles (S3 snapshots)",
        fields={"personId": "string", "firstName": "string", "lastName": "string", "email": "string",
                "loyaltyTier": "string", "updatedAt": "date-time"},
        sandboxes=("dev", "prod"),
    ),
]

DATASETS = [
    Dataset(key="orders", name="Orders", schema="orders"),
    Dataset(key="crm_profiles", name="CRM profiles", schema="crm_profiles", sandboxes=("dev", "prod")),
]

MAPPINGS = [
    Mappings(key="orders_columns", name="Orders columns", schema="orders", rules=[
        Map("order_id", "orderId"),
        Map("customer_id", "customerId"),
        Map("total", "total"),
        Map("currency", "currency"),
        Map("ordered_at", "orderedAt"),
    ]),
    Mappings(key="crm_members", name="CRM profile members", schema="crm_profiles", sandboxes=("dev", "prod"),
             rules=[Map(member, member) for member in ("personId", "firstName", "lastName", "email", "loyaltyTier",
                                                       "updatedAt")]),
]

DATAFLOWS = [
    # The CSV exports of the orders landing zone (its folder, in each sandbox's bucket) every 15 minutes.
    Dataflow(
        key="orders_daily",
        name="Orders into the orders dataset",
        connection="orders_landing",
        path="",
        format=Delimited(delimiter=","),
        dataset="orders",
        mapping="orders_columns",
        schedule=Schedule.every(15, "minute"),
        overrides={"prod": DataflowOverride(schedule=Schedule.every(1, "hour"))},
    ),
    # The CRM profile snapshots (JSON lines): once a day, where the connection exists.
    Dataflow(
        key="crm_profiles_daily",
        name="CRM profiles into the profile dataset",
        connection="crm_profiles",
        format=Json(),
        dataset="crm_profiles",
        mapping="crm_members",
        schedule=Schedule.every(1, "day"),
    ),
]

# Which stack (Terraform state) holds each connection: placement.json, written at synth when
# connections are added or removed; commit it with this file. A sandbox's connections spread over
# as many stacks as this bound needs (`make rebalance` applies a new bound without touching AEP).
# 50 connections per stack when they carry dataflows (four resources each), 200 for bare
# connections: both measured by `make bench` (README, Performance).
PLACEMENT = Placement.file(Path(__file__).with_name("placement.json"), bound=50)

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
                                 PLACEMENT, SCHEMAS, DATASETS, MAPPINGS))
