"""N connections in one sandbox stack, for the interrupt tests and the benchmarks.

``FLEET_CONNECTIONS`` (default 10) connections named ``fleet-001``..., in the stack ``s3-fleet``
for sandbox ``FLEET_SANDBOX`` (default ``prod``); ``FLEET_SESSION_TOKEN_VERSION`` rotates every
session token at once. Credentials: ``TF_VAR_s3_access_key``, ``..._secret_key``, ``..._session_token``.
"""

from __future__ import annotations

import os

from constructs_lib import ProviderSettings, S3Connection, Sandbox, StateBackend, define, synth
from toolchain.apps import FLEET_STACK


def connections(count: int, version: str) -> list[S3Connection]:
    return [S3Connection(key=f"fleet_{i:03d}", name=f"fleet-{i:03d}", description=f"Fleet connection {i}",
                         bucket_name=f"fleet-bucket-{i % 7}", folder_path=f"in/{i:03d}", region="us-east-1",
                         session_token_version=version)
            for i in range(1, count + 1)]


def main() -> None:
    env = os.environ.get
    sandbox = Sandbox(env("FLEET_SANDBOX", "prod"), stack=FLEET_STACK)
    declared = connections(int(env("FLEET_CONNECTIONS", "10")), env("FLEET_SESSION_TOKEN_VERSION", "1"))
    settings = ProviderSettings(flow_service_url=env("AEP_FLOW_SERVICE_URL"), ims_url=env("AEP_IMS_URL"))
    synth.run(lambda app: define(app, [sandbox], declared, settings, StateBackend.from_env()))


if __name__ == "__main__":
    main()
