"""One connection in one stack (``s3-base-connection``), its props from environment knobs.

The end-to-end tests that follow one connection through its life (create, rotate, rename, drift,
destroy) use this app rather than main.py's several sandboxes, so each step changes exactly one
thing: ``S3_CONNECTION_NAME``, ``S3_CONNECTION_DESCRIPTION``, ``S3_BUCKET_NAME``, ``S3_FOLDER_PATH``,
``S3_REGION``, ``S3_SESSION_TOKEN_VERSION``; the provider reads ``AEP_*`` as usual.
"""

from __future__ import annotations

import os

from constructs import Construct

from constructs_lib import AccessKeyAuth, AepProvider, S3BaseConnection, synth
from constructs_lib.framework import cdk

STACK_NAME = "s3-base-connection"


class S3BaseConnectionStack(cdk.TerraformStack):
    """One S3 base connection, as in Adobe's tutorial."""

    def __init__(self, scope: Construct, stack_id: str) -> None:
        super().__init__(scope, stack_id)
        env = os.environ.get
        AepProvider(self, "aep")
        auth = AccessKeyAuth.from_variables(self, prefix="s3",
                                            session_token_version=env("S3_SESSION_TOKEN_VERSION", "1"))
        self.connection = connection = S3BaseConnection(
            self,
            "amazon_s3",
            name=env("S3_CONNECTION_NAME", "Amazon S3 base connection"),
            description=env("S3_CONNECTION_DESCRIPTION", "Amazon S3 base connection with temporary session token"),
            bucket_name=env("S3_BUCKET_NAME") or None,
            folder_path=env("S3_FOLDER_PATH") or None,
            region=env("S3_REGION") or None,
            auth=auth,
        )
        cdk.TerraformOutput(self, "connection_id", value=connection.id)
        cdk.TerraformOutput(self, "connection_etag", value=connection.etag)


def build(app: cdk.App) -> S3BaseConnectionStack:
    return S3BaseConnectionStack(app, STACK_NAME)


if __name__ == "__main__":
    synth.run(build)
