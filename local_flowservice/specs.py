"""The connection specs the emulator knows: only Amazon S3, with Adobe's two auth specs.

The auth specs are JSON Schema draft-07 documents, as Adobe publishes them, so creation and
patching validate against the same document a client can fetch from `/connectionSpecs/{id}`.
"""

from __future__ import annotations

import copy
from typing import Any

from . import S3_CONNECTION_SPEC_ID

DRAFT_07 = "http://json-schema.org/draft-07/schema#"

# 3-63 chars of [a-z0-9-], first and last a letter or digit. Dots are not allowed at all,
# so a dotted IP address can never match; the lookahead documents the rule anyway.
BUCKET_NAME_PATTERN = r"^(?!\d{1,3}(\.\d{1,3}){3}$)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"

_RESERVED = r"(?i:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9]|\.|\.\.)"
_COMPONENT = rf"(?!{_RESERVED}(?:/|$))[^\"\\/:|<>*?]{{1,255}}"
# Components separated by "/", an optional leading "/", never a trailing one.
FOLDER_PATH_PATTERN = rf"^/?{_COMPONENT}(?:/{_COMPONENT})*$"

SERVICE_URL_PATTERN = r"^https://s3\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/?$"
# Accepted too with --allow-local-service-url, so a connection can name a local S3 server.
LOCAL_SERVICE_URL_PATTERN = r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?/?$"

ACCESS_KEY = "Access Key"
IAM_ROLE = "IAMRole Based"

# Returned as a fixed mask; `format: password` in the schema marks them too.
SECRET_PARAMS = frozenset({"s3SecretKey", "s3SessionToken"})
# Returned with only a short prefix visible ("a partial view of the credentials").
PARTIAL_PARAMS = frozenset({"s3AccessKey"})

# The role Adobe's AWS account assumes; clients put it into their bucket's trust policy.
IAM_ROLE_ARN = "arn:aws:iam::000000000000:role/local-flowservice-s3-ingestion"

_BUCKET = {
    "type": "string",
    "description": "Name of the S3 bucket: 3-63 lowercase letters, digits or '-', starting and "
                   "ending with a letter or digit, not an IP address.",
    "minLength": 3,
    "maxLength": 63,
    "pattern": BUCKET_NAME_PATTERN,
}
_FOLDER = {
    "type": "string",
    "description": "Path of the folder within the bucket; needed when access is restricted.",
    "pattern": FOLDER_PATH_PATTERN,
}

ACCESS_KEY_SCHEMA: dict[str, Any] = {
    "$schema": DRAFT_07,
    "type": "object",
    "description": "Defines auth params required for connecting to Amazon S3 with an access key.",
    "properties": {
        "s3AccessKey": {"type": "string", "minLength": 1, "description": "Access key id."},
        "s3SecretKey": {"type": "string", "minLength": 1, "format": "password",
                        "description": "Secret access key."},
        "s3SessionToken": {"type": "string", "minLength": 1, "format": "password",
                           "description": "Temporary session token; refresh it by PATCH."},
        "serviceUrl": {"type": "string", "pattern": SERVICE_URL_PATTERN,
                       "description": "Region endpoint, https://s3.{REGION}.amazonaws.com."},
        "bucketName": _BUCKET,
        "folderPath": _FOLDER,
    },
    "required": ["s3AccessKey", "s3SecretKey"],
    "additionalProperties": False,
}

IAM_ROLE_SCHEMA: dict[str, Any] = {
    "$schema": DRAFT_07,
    "type": "object",
    "description": "Defines auth params for Amazon S3 through an IAM role trusted by Adobe.",
    "properties": {"bucketName": _BUCKET, "folderPath": _FOLDER},
    "required": ["bucketName"],
    "additionalProperties": False,
}

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
            return auth["spec"]
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
