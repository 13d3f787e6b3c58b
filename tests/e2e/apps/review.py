"""Two sandboxes for the review tests: ``REVIEW_CREATES`` connections in dev (placed over stacks of
at most 200), three in prod. With ``REVIEW_CHANGE=1``, prod's ``tutorial`` moves to IAM role auth
(its auth spec forces a replacement) and ``retired`` is removed (a deletion)."""

from __future__ import annotations

import os
from pathlib import Path

from constructs_lib import Placement, ProviderSettings, S3Connection, Sandbox, StateBackend, define, synth

CHANGE = os.environ.get("REVIEW_CHANGE") == "1"
SANDBOXES = [Sandbox("dev"), Sandbox("prod")]
DEV = [S3Connection(key=f"fleet_{i:04d}", name=f"fleet-{i:04d}", description=f"Fleet connection {i}",
                    bucket_name=f"fleet-bucket-{i % 7}", folder_path=f"in/{i:04d}", region="us-east-1",
                    sandboxes=("dev",))
       for i in range(1, int(os.environ.get("REVIEW_CREATES", "0")) + 1)]
PROD = [
    S3Connection(key="tutorial", name="Amazon S3 base connection", sandboxes=("prod",),
                 **({"iam_role": True, "bucket_name": "acme-orders"} if CHANGE else {})),
    S3Connection(key="orders", name="Orders landing zone", bucket_name="acme-orders", sandboxes=("prod",)),
    *([] if CHANGE else [S3Connection(key="retired", name="Retired landing zone", sandboxes=("prod",))]),
]
PLACEMENT = Placement.file(Path(__file__).with_name("placement.json"), bound=200)


def settings() -> ProviderSettings:
    return ProviderSettings(flow_service_url=os.environ.get("AEP_FLOW_SERVICE_URL"),
                            ims_url=os.environ.get("AEP_IMS_URL"))


if __name__ == "__main__":
    synth.run(lambda app: define(app, SANDBOXES, [*DEV, *PROD], settings(), StateBackend.from_env(), (),
                                 PLACEMENT))
