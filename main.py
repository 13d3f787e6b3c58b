#!/usr/bin/env python
"""The CDKTF app: the team's Amazon S3 base connections, declared once, deployed per sandbox.

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
the local Flow Service that ``make demo`` starts; state goes where ``TF_STATE_BACKEND`` says.
"""

from __future__ import annotations

import os

from constructs_lib import ProviderSettings, S3Connection, Sandbox, SandboxOverride, StateBackend, define, synth

SANDBOXES = [
    Sandbox("dev", credentials="s3"),
    Sandbox("stage", credentials="s3"),
    Sandbox("prod", credentials="s3_prod"),
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

# The embedded default: the local Flow Service `make demo` starts (it exports these for its PORT).
LOCAL_FLOW_SERVICE_URL = "http://127.0.0.1:8750/data/foundation/flowservice"
LOCAL_IMS_URL = "http://127.0.0.1:8750"


def settings() -> ProviderSettings:
    env = os.environ.get
    return ProviderSettings(
        flow_service_url=env("AEP_FLOW_SERVICE_URL") or LOCAL_FLOW_SERVICE_URL,
        ims_url=env("AEP_IMS_URL") or LOCAL_IMS_URL,
    )


if __name__ == "__main__":
    synth.run(lambda app: define(app, SANDBOXES, CONNECTIONS, settings(), StateBackend.from_env()))
