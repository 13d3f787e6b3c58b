"""Settings shared by every measured command: who the provider is, what it talks to, which secrets.

The values are fake and the emulator accepts any client; they only have to be the same for the
toolchain runs and the floor, so both pay for the same IMS token request.
"""

from __future__ import annotations

from pathlib import Path

from aep_client import FlowServiceConfig
from aep_iac.project import provider_env as project_provider_env
from aep_iac.stacks import BOUND_ENV, DEFAULT_BOUND
from aep_local.testing import LocalAep

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-client-secret"  # noqa: S105 - a fake value for the local emulator
ORG_ID = "BENCH000000000000000000@AdobeOrg"
SANDBOX = "prod"

ACCESS_KEY = "AKIABENCHACCESSKEY01"
SECRET_KEY = "bench-secret-key-0001"  # noqa: S105 - fake
SESSION_TOKEN = "bench-session-token-0001"  # noqa: S105 - fake
ROTATED_SESSION_TOKEN = "bench-session-token-0002"  # noqa: S105 - fake

#: The fleet app's credentials (ephemeral variables), version 1.
CREDENTIALS = {"TF_VAR_s3_access_key": ACCESS_KEY, "TF_VAR_s3_secret_key": SECRET_KEY,
               "TF_VAR_s3_session_token": SESSION_TOKEN}
#: What a rotation changes: a new session token and its version (FLEET_SESSION_TOKEN_VERSION).
ROTATED = {"TF_VAR_s3_session_token": ROTATED_SESSION_TOKEN, "FLEET_SESSION_TOKEN_VERSION": "2"}
UNROTATED = {"TF_VAR_s3_session_token": SESSION_TOKEN, "FLEET_SESSION_TOKEN_VERSION": "1"}
#: The one bound on Flow Service calls in flight across stacks (aep_iac.stacks' default, set so
#: that a caller's own setting cannot leak in): the floor's 10 at a time.
IN_FLIGHT = {BOUND_ENV: str(DEFAULT_BOUND)}

STATE_BUCKET = "bench-state"
STATE_KEYS = {"AWS_ACCESS_KEY_ID": "bench-state", "AWS_SECRET_ACCESS_KEY": "bench-state",
              "AWS_REGION": "us-east-1"}


def s3_state_env(endpoint: str, prefix: str) -> dict[str, str]:
    """The S3 state backend (constructs_lib/backend.py) in ``STATE_BUCKET`` at ``endpoint``, keys under ``prefix``."""
    return {"TF_STATE_BACKEND": "s3", "TF_STATE_BUCKET": STATE_BUCKET, "TF_STATE_ENDPOINT": endpoint,
            "TF_STATE_PREFIX": prefix, **STATE_KEYS}


def client_config(server: LocalAep) -> FlowServiceConfig:
    """Our client pointed at ``server`` with the benchmark's identity (the floor's calls, counts)."""
    return FlowServiceConfig(flow_service_url=server.flow_url, ims_url=server.ims_url, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET, org_id=ORG_ID, sandbox_name=SANDBOX)


def provider_env(server: LocalAep, cache_dir: Path) -> dict[str, str]:
    """Environment that points our provider at ``server`` with the benchmark's identity."""
    return project_provider_env(server.flow_url, server.ims_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                org_id=ORG_ID, token_cache=cache_dir, sandbox=SANDBOX)


def fleet_env(server: LocalAep, cache_dir: Path, connections: int) -> dict[str, str]:
    """Everything the fleet app and its provider need: ``connections`` connections, version 1 credentials."""
    return {**provider_env(server, cache_dir), **CREDENTIALS, **UNROTATED,
            "FLEET_CONNECTIONS": str(connections), "FLEET_SANDBOX": SANDBOX}
