"""Where each stack keeps its Terraform state: local files (the default) or one S3 object per
stack, locked with Terraform's native lock file (``use_lockfile``, Terraform >= 1.10).

Selected by configuration, so a team moves from a laptop to shared state without code changes:

=====================  ==========================================================================
``TF_STATE_BACKEND``   ``local`` (default: ``terraform.<stack>.tfstate`` in the project) or ``s3``
``TF_STATE_BUCKET``    the bucket (required for ``s3``)
``TF_STATE_PREFIX``    key prefix, default ``aep-s3-connections``; a stack's key is ``<prefix>/<stack>.tfstate``
``TF_STATE_REGION``    default ``us-east-1``
``TF_STATE_ENDPOINT``  an S3-compatible endpoint (e.g. a local one); path-style, no AWS account lookups
=====================  ==========================================================================

AWS credentials for the state bucket come from the usual AWS settings (``AWS_PROFILE``,
``AWS_ACCESS_KEY_ID``...), never from this configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from constructs_lib.errors import ConstructError, PropViolation
from constructs_lib.framework import cdk

DEFAULT_PREFIX = "aep-s3-connections"


@dataclass(frozen=True)
class StateBackend:
    """A state location for every stack of the app."""

    kind: Literal["local", "s3"] = "local"
    bucket: str | None = None
    prefix: str = DEFAULT_PREFIX
    region: str = "us-east-1"
    endpoint: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StateBackend:
        env = os.environ if environ is None else environ
        kind = env.get("TF_STATE_BACKEND", "local").strip() or "local"
        if kind not in ("local", "s3"):
            raise ConstructError([PropViolation("environment", "TF_STATE_BACKEND", "must be local or s3", kind)])
        if kind == "local":
            return cls()
        bucket = env.get("TF_STATE_BUCKET", "").strip()
        if not bucket:
            raise ConstructError([PropViolation("environment", "TF_STATE_BUCKET",
                                                "must name the state bucket when TF_STATE_BACKEND=s3")])
        prefix = env.get("TF_STATE_PREFIX", "").strip().strip("/") or DEFAULT_PREFIX
        region = env.get("TF_STATE_REGION", "").strip() or "us-east-1"
        return cls("s3", bucket, prefix, region, env.get("TF_STATE_ENDPOINT", "").strip() or None)

    def key(self, stack_id: str) -> str:
        return f"{self.prefix}/{stack_id}.tfstate"

    def state_path(self, stack_id: str) -> str:
        """Where a local stack's state file is: the project (the app's working folder), as CDKTF puts it."""
        return os.path.abspath(f"terraform.{stack_id}.tfstate")

    def ownership_journal(self, stack_id: str) -> str:
        """Where a stack's ownership journal lives: beside its state (``<state>.owned``), so that a
        fresh checkout with the same backend finds what the last run began (aep_provider's
        ``ownership_journal``)."""
        if self.kind == "local" or self.bucket is None:
            return self.state_path(stack_id) + ".owned"
        query = f"region={self.region}" + (f"&endpoint={self.endpoint}" if self.endpoint else "")
        return f"s3://{self.bucket}/{self.key(stack_id)}.owned?{query}"

    def attach(self, stack: cdk.TerraformStack) -> None:
        """Give ``stack`` this backend (nothing to do for the local default)."""
        if self.kind == "local" or self.bucket is None:
            return
        custom = self.endpoint is not None
        backend = cdk.S3Backend(
            stack,
            bucket=self.bucket,
            key=self.key(stack.node.id),
            region=self.region,
            encrypt=True,
            endpoints=cdk.S3BackendEndpointConfig(s3=self.endpoint) if custom else None,
            use_path_style=custom or None,
            skip_credentials_validation=custom or None,
            skip_requesting_account_id=custom or None,
            skip_region_validation=custom or None,
            skip_metadata_api_check=custom or None,
        )
        # cdktf 0.21 predates Terraform's native S3 lock file: set it as a raw override.
        backend.add_override("use_lockfile", True)
