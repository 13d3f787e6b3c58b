#!/usr/bin/env python
"""The CDKTF app: Adobe's S3 tutorial as code (an Amazon S3 base connection, Access Key auth
with a temporary session token).

Credentials never appear here or in cdk.tf.json: they are ephemeral, sensitive Terraform
variables fed by TF_VAR_s3_access_key, TF_VAR_s3_secret_key and TF_VAR_s3_session_token.
The few demo knobs below are environment variables so one app serves the demo and the
end-to-end tests; a real stack would write them as literals and change them in a pull request.
"""

from __future__ import annotations

import os

from cdktf import App, TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib import AccessKeyAuth, FlowserviceProvider, S3BaseConnection

STACK_NAME = "s3-base-connection"
# The embedded default: the local Flow Service that `make demo` starts. Point these at Adobe
# (https://platform.adobe.io/data/foundation/flowservice and https://ims-na1.adobelogin.com)
# to deploy for real.
LOCAL_FLOW_SERVICE_URL = "http://127.0.0.1:8750/data/foundation/flowservice"
LOCAL_IMS_URL = "http://127.0.0.1:8750"


class S3BaseConnectionStack(TerraformStack):
    """One S3 base connection, as in Adobe's tutorial."""

    def __init__(self, scope: Construct, stack_id: str) -> None:
        super().__init__(scope, stack_id)
        env = os.environ.get
        FlowserviceProvider(
            self,
            "flowservice",
            flow_service_url=env("AEP_FLOW_SERVICE_URL", LOCAL_FLOW_SERVICE_URL),
            ims_url=env("AEP_IMS_URL", LOCAL_IMS_URL),
        )
        auth = AccessKeyAuth.from_variables(
            self,
            prefix="s3",
            session_token_version=env("S3_SESSION_TOKEN_VERSION", "1"),
        )
        self.connection = connection = S3BaseConnection(
            self,
            "amazon_s3",
            name=env("S3_CONNECTION_NAME", "Amazon S3 base connection"),
            description=env(
                "S3_CONNECTION_DESCRIPTION", "Amazon S3 base connection with temporary session token"
            ),
            bucket_name=env("S3_BUCKET_NAME") or None,
            folder_path=env("S3_FOLDER_PATH") or None,
            region=env("S3_REGION") or None,
            auth=auth,
        )
        TerraformOutput(self, "connection_id", value=connection.id)
        TerraformOutput(self, "connection_etag", value=connection.etag)


def main() -> None:
    app = App()
    S3BaseConnectionStack(app, STACK_NAME)
    app.synth()


if __name__ == "__main__":
    main()
