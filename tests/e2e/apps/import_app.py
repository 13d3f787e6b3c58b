"""The single-connection stack, adopting an existing connection with CDKTF's import_from (an `import` block)."""

from __future__ import annotations

import os

from constructs_lib import synth
from constructs_lib.framework import cdk
from tests.e2e.apps.single import build


def adopt(app: cdk.App) -> None:
    build(app).connection.import_from(os.environ["S3_IMPORT_CONNECTION_ID"])


if __name__ == "__main__":
    synth.run(adopt)
