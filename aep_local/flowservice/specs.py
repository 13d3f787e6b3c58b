"""The spec documents the emulator serves: the Amazon S3 source and Data Lake target connection
specs, and the `CloudStorageToAEP` flow spec.

The JSON Schemas in them (S3 auth specs, the source `params`, the schedule) come from
`aep_spec`: creation and patching validate against the same document a client can fetch
from `/connectionSpecs/{id}` or `/flowSpecs/{id}`, and the construct and provider check the same rules.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from aep_spec import ingestion, s3

from . import listing

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
IAM_ROLE_ARN = "arn:aws:iam::000000000000:role/local-aep-s3-ingestion"

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
            "description": "Defines params required when this connection is used as a source in flow.",
            **copy.deepcopy(ingestion.SOURCE_PARAMS_SCHEMA),
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

DATA_LAKE_SPEC: dict[str, Any] = {
    "id": ingestion.DATA_LAKE_CONNECTION_SPEC_ID,
    "name": "Data Lake",
    "providerId": S3_SPEC["providerId"],
    "version": ingestion.DATA_LAKE_CONNECTION_SPEC_VERSION,
    "authSpec": [],
    "attributes": {"category": "Data Lake", "connectorName": "Data Lake", "isSource": False},
    "permissionsInfo": S3_SPEC["permissionsInfo"],
}

SPECS: dict[str, dict[str, Any]] = {S3_CONNECTION_SPEC_ID: S3_SPEC,
                                    ingestion.DATA_LAKE_CONNECTION_SPEC_ID: DATA_LAKE_SPEC}
# Which specs each collection's records may name.
BASE_CONNECTION_SPECS = {S3_CONNECTION_SPEC_ID: S3_SPEC}
SOURCE_CONNECTION_SPECS = {S3_CONNECTION_SPEC_ID: S3_SPEC}
TARGET_CONNECTION_SPECS = {ingestion.DATA_LAKE_CONNECTION_SPEC_ID: DATA_LAKE_SPEC}

CLOUD_STORAGE_FLOW_SPEC: dict[str, Any] = {
    "id": ingestion.CLOUD_STORAGE_FLOW_SPEC_ID,
    "name": ingestion.CLOUD_STORAGE_FLOW_SPEC_NAME,
    "providerId": S3_SPEC["providerId"],
    "version": ingestion.CLOUD_STORAGE_FLOW_SPEC_VERSION,
    "sourceConnectionSpecIds": [S3_CONNECTION_SPEC_ID],
    "targetConnectionSpecIds": [ingestion.DATA_LAKE_CONNECTION_SPEC_ID],
    "transformationSpecs": [{
        "name": "Mapping",
        "spec": {"$schema": DRAFT_07, "type": "object",
                 "description": "The Data Prep mapping set that turns source columns into XDM fields.",
                 "properties": {"mappingId": {"type": "string", "pattern": f"^{ingestion.MAPPING_ID_PATTERN}$"},
                                "mappingVersion": {"type": ["string", "integer"]}},
                 "required": ["mappingId"]},
    }],
    "scheduleSpec": {"name": "PeriodicSchedule", "type": "Periodic",
                     "spec": {"$schema": DRAFT_07, **copy.deepcopy(ingestion.SCHEDULE_SCHEMA)}},
    "runSpec": {"name": "ProviderParams", "spec": {
        "$schema": DRAFT_07, "type": "object",
        "description": "On-demand runs of flows whose frequency is once: the window of files to take.",
        "properties": {"startTime": {"type": "integer", "description": "epoch seconds"},
                       "windowStartTime": {"type": "integer", "description": "epoch seconds"},
                       "windowEndTime": {"type": "integer", "description": "epoch seconds"}},
        "required": ["startTime", "windowStartTime", "windowEndTime"]}},
    "attributes": {"isSourceFlow": True, "isDraftModeSupported": False,
                   "notification": {"category": "sources", "flowRun": {"enabled": True}}},
    "permissionsInfo": S3_SPEC["permissionsInfo"],
}

FLOW_SPECS: dict[str, dict[str, Any]] = {ingestion.CLOUD_STORAGE_FLOW_SPEC_ID: CLOUD_STORAGE_FLOW_SPEC}

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


def get_flow_spec(spec_id: str) -> dict[str, Any] | None:
    spec = FLOW_SPECS.get(spec_id)
    return copy.deepcopy(spec) if spec is not None else None


def list_documents(documents: Mapping[str, dict[str, Any]], query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """A spec list (`/connectionSpecs`, `/flowSpecs`) filtered by `property=`: deep copies."""
    return listing.list_specs([copy.deepcopy(d) for d in documents.values()], query)


def auth_schema(spec_id: str, auth_name: str) -> dict[str, Any] | None:
    spec = SPECS.get(spec_id)
    if spec is None:
        return None
    for auth in spec.get("authSpec", []):
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
