"""The connection specs the emulator knows: only Amazon S3, with Adobe's two auth specs.

The auth specs are JSON Schema draft-07 documents, as Adobe publishes them, taken from
`flowservice_spec.s3`: creation and patching validate against the same document a client can
fetch from `/connectionSpecs/{id}`, and the construct and provider check the same rules.
"""

from __future__ import annotations

import copy
from typing import Any

from flowservice_spec import s3

S3_CONNECTION_SPEC_ID = s3.CONNECTION_SPEC_ID
ACCESS_KEY = s3.ACCESS_KEY
IAM_ROLE = s3.IAM_ROLE_BASED
DRAFT_07 = s3.DRAFT_07
SECRET_PARAMS = s3.MASKED_PARAMS
PARTIAL_PARAMS = s3.PARTIAL_PARAMS
SERVICE_URL_PATTERN = s3.SERVICE_URL_PATTERN
# Accepted too with --allow-local-service-url, so a connection can name a local S3 server.
LOCAL_SERVICE_URL_PATTERN = r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?/?$"

# The role Adobe's AWS account assumes; clients put it into their bucket's trust policy.
IAM_ROLE_ARN = "arn:aws:iam::000000000000:role/local-flowservice-s3-ingestion"

# Private copies: allow_local_service_urls() widens this process's copy only.
ACCESS_KEY_SCHEMA: dict[str, Any] = s3.auth_schema(ACCESS_KEY) or {}
IAM_ROLE_SCHEMA: dict[str, Any] = s3.auth_schema(IAM_ROLE) or {}

S3_SPEC: dict[str, Any] = {
    "id": S3_CONNECTION_SPEC_ID,
    "name": "amazon-s3",
    "providerId": "0ed90a81-07f4-4586-8190-b40eccef1c5a",
    "version": "1.0",
    "authSpec": [
        {"name": ACCESS_KEY, "type": "KeyBased", "spec": ACCESS_KEY_SCHEMA},
        {"name": IAM_ROLE, "type": "IamBasedAuthentication", "spec": IAM_ROLE_SCHEMA},
    ],
    "sourceSpec": {
        "name": "CloudStorage",
        "type": "CloudStorage",
        "spec": {
            "$schema": DRAFT_07,
            "type": "object",
            "description": "Defines params required when this connection is used as a source in flow.",
            "properties": {
                "path": {"type": "string", "description": "The input path for copying files."},
                "recursive": {"type": "boolean", "default": False},
            },
            "required": ["path"],
        },
        "attributes": {"uiAttributes": {"isSource": True, "category": "cloudStorage",
                                        "icon": "amazonS3", "label": "Amazon S3"}},
    },
    "exploreSpec": {"name": "FileSystem", "type": "FileSystem"},
    "attributes": {"category": "Cloud Storage", "connectorName": "Amazon S3", "isSource": True},
    "permissionsInfo": {
        "manage": [{"@type": "lowLevel", "name": "EnterpriseSource", "permissions": ["write"]}],
        "view": [{"@type": "lowLevel", "name": "EnterpriseSource", "permissions": ["read"]}],
    },
}

SPECS: dict[str, dict[str, Any]] = {S3_CONNECTION_SPEC_ID: S3_SPEC}

# `configs?authType=` values and what they return, per spec.
CONFIGS: dict[str, dict[str, dict[str, str]]] = {
    S3_CONNECTION_SPEC_ID: {"IamBasedAuthentication": {"IAMRole": IAM_ROLE_ARN}},
}


def allow_local_service_urls() -> None:
    """Widen `serviceUrl` to loopback URLs (a deliberate, opt-in deviation; the served spec shows it)."""
    prop = ACCESS_KEY_SCHEMA["properties"]["serviceUrl"]
    prop["pattern"] = f"{SERVICE_URL_PATTERN}|{LOCAL_SERVICE_URL_PATTERN}"
    prop["description"] += " The local emulator also accepts http://127.0.0.1:PORT."


def get_spec(spec_id: str) -> dict[str, Any] | None:
    """A deep copy, so callers can never mutate the shared document."""
    spec = SPECS.get(spec_id)
    return copy.deepcopy(spec) if spec is not None else None


def auth_schema(spec_id: str, auth_name: str) -> dict[str, Any] | None:
    spec = SPECS.get(spec_id)
    if spec is None:
        return None
    for auth in spec["authSpec"]:
        if auth["name"] == auth_name:
            schema: dict[str, Any] = auth["spec"]
            return schema
    return None


def mask_params(params: dict[str, Any]) -> dict[str, Any]:
    """What a read may show of the credentials: never a secret, only a prefix of the key id."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key in SECRET_PARAMS:
            shown[key] = "***"
        elif key in PARTIAL_PARAMS and isinstance(value, str):
            shown[key] = (value[:4] if len(value) > 8 else "") + "***"
        else:
            shown[key] = value
    return shown
