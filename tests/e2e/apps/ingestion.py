"""The whole ingestion path in one stack (``s3-ingestion``): an S3 base connection and one dataflow
reading its folder (source connection, target connection, flow), with the explore and runs
reports as outputs. Knobs, so each step of a test changes one thing:

``FLOW_NAME``, ``FLOW_PATH`` (relative to the connection's folder), ``FLOW_FREQUENCY``,
``FLOW_INTERVAL``, ``FLOW_ENABLED`` (``true``/``false``), ``FLOW_MAPPING_VERSION``,
``FLOW_DATASET``, ``FLOW_REPORTS`` (``false`` leaves the data sources out); the base connection
reads ``S3_BUCKET_NAME`` (default ``acme-orders``), ``S3_FOLDER_PATH`` (``exports/orders``) and
``S3_SESSION_TOKEN_VERSION``.
The ids are the local AEP's seeded ones in sandbox ``prod``.
"""

from __future__ import annotations

import os

from constructs_lib import (
    Dataflow,
    Delimited,
    MappingSet,
    ProviderSettings,
    S3Connection,
    Sandbox,
    Schedule,
    define,
    synth,
)

STACK_NAME = "s3-ingestion"
DATASET = "64d0a1b2c3d4e5f6a7b8c9d2"
SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
MAPPING_ID = "0f3a5c7e9b1d4f6a8c0e2a4c6e8a0c2e"


def main() -> None:
    env = os.environ.get
    sandbox = Sandbox(env("AEP_SANDBOX_NAME", "prod"), stack=STACK_NAME, reports=env("FLOW_REPORTS", "true") == "true")
    connection = S3Connection(key="amazon_s3", name="Amazon S3 base connection",
                              bucket_name=env("S3_BUCKET_NAME", "acme-orders"),
                              folder_path=env("S3_FOLDER_PATH", "exports/orders"), region="us-east-1",
                              session_token_version=env("S3_SESSION_TOKEN_VERSION", "1"))
    interval = env("FLOW_INTERVAL", "15")
    flow = Dataflow(key="orders", name=env("FLOW_NAME", "Orders"), connection="amazon_s3",
                    path=env("FLOW_PATH", ""), format=Delimited(), dataset_id=env("FLOW_DATASET", DATASET),
                    schema_id=SCHEMA, mapping=MappingSet(MAPPING_ID, int(env("FLOW_MAPPING_VERSION", "0"))),
                    schedule=Schedule(env("FLOW_FREQUENCY", "minute"), int(interval) if interval else None),
                    enabled=env("FLOW_ENABLED", "true") == "true")
    settings = ProviderSettings(flow_service_url=env("AEP_FLOW_SERVICE_URL"), ims_url=env("AEP_IMS_URL"))
    synth.run(lambda app: define(app, [sandbox], [connection], settings, dataflows=[flow]))


if __name__ == "__main__":
    main()
