"""Adobe's Amazon S3 connection spec (``ecadc60c-7455-4d87-84dc-2a0e293d997b``) as data.

The JSON Schemas below are the auth specs as Flow Service serves them from
``/connectionSpecs/{id}`` (draft-07); the patterns in them are the single statement of each
parameter's rule. :mod:`aep_spec.rules` checks the same rules with friendlier
messages, and a test proves the two agree.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

CONNECTION_SPEC_ID: Final = "ecadc60c-7455-4d87-84dc-2a0e293d997b"
CONNECTION_SPEC_VERSION: Final = "1.0"

# Auth spec names, exactly as the connection spec spells them.
ACCESS_KEY: Final = "Access Key"
IAM_ROLE_BASED: Final = "IAMRole Based"
AUTH_SPEC_NAMES: Final[tuple[str, ...]] = (ACCESS_KEY, IAM_ROLE_BASED)
DEFAULT_AUTH_SPEC_NAME: Final = ACCESS_KEY

# Parameter names under ``auth.params`` in the Flow Service API.
PARAM_ACCESS_KEY: Final = "s3AccessKey"
PARAM_SECRET_KEY: Final = "s3SecretKey"  # noqa: S105 - a parameter name, not a secret
PARAM_SESSION_TOKEN: Final = "s3SessionToken"  # noqa: S105 - a parameter name, not a secret
PARAM_SERVICE_URL: Final = "serviceUrl"
PARAM_BUCKET_NAME: Final = "bucketName"
PARAM_FOLDER_PATH: Final = "folderPath"

#: Parameters whose values are secrets: never echoed, never stored in state. The spec marks
#: s3SecretKey and s3SessionToken secret; an access key id is treated as one as well.
SECRET_PARAMS: Final = frozenset({PARAM_ACCESS_KEY, PARAM_SECRET_KEY, PARAM_SESSION_TOKEN})
#: Parameters a read returns masked entirely, and the one it shows a short prefix of.
MASKED_PARAMS: Final = frozenset({PARAM_SECRET_KEY, PARAM_SESSION_TOKEN})
PARTIAL_PARAMS: Final = frozenset({PARAM_ACCESS_KEY})

BUCKET_NAME_MIN: Final = 3
BUCKET_NAME_MAX: Final = 63
FOLDER_COMPONENT_MAX: Final = 255
FOLDER_FORBIDDEN_CHARACTERS: Final = '"\\:|<>*?'
RESERVED_FOLDER_NAMES: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL", ".", ".."} | {f"COM{n}" for n in range(1, 10)} | {f"LPT{n}" for n in range(1, 10)}
)

#: Control characters (C0, DEL, C1): refused in every string the project sends.
CONTROL_CHARACTERS: Final = r"\x00-\x1f\x7f-\x9f"

#: End of input in both regex dialects (JSON Schema's ECMA and Python's, where a bare ``$`` also
#: matches before a final newline).
END: Final = r"$(?!\n)"

#: AWS region names: ``us-east-1``, ``us-gov-west-1``, ``eusc-de-east-1``, ``cn-north-1``.
REGION_PATTERN: Final = r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}"
#: The spec's endpoint format, ``https://s3.{REGION}.amazonaws.com`` (``.com.cn`` in China).
SERVICE_URL_FORMAT: Final = "https://s3.{region}.amazonaws.com"
SERVICE_URL_PATTERN: Final = rf"^https://s3\.{REGION_PATTERN}\.amazonaws\.com(?:\.cn)?/?{END}"

# 3-63 chars of [a-z0-9-], first and last a letter or digit. Dots are not allowed at all,
# so a dotted IP address can never match; the lookahead states the rule anyway.
BUCKET_NAME_PATTERN: Final = rf"^(?!\d{{1,3}}(\.\d{{1,3}}){{3}}$)[a-z0-9][a-z0-9-]{{1,61}}[a-z0-9]{END}"

_RESERVED = r"(?i:CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9]|\.|\.\.)"
_COMPONENT = rf"(?!{_RESERVED}(?:/|$))[^\"\\/:|<>*?{CONTROL_CHARACTERS}]{{1,{FOLDER_COMPONENT_MAX}}}"
#: Components separated by ``/``, an optional leading ``/``, never a trailing one.
FOLDER_PATH_PATTERN: Final = rf"^/?{_COMPONENT}(?:/{_COMPONENT})*{END}"

DRAFT_07: Final = "http://json-schema.org/draft-07/schema#"

_SECRET_TEXT = {"type": "string", "minLength": 1, "pattern": rf"^[^{CONTROL_CHARACTERS}]+{END}"}
_BUCKET: dict[str, Any] = {
    "type": "string",
    "description": "Name of the S3 bucket: 3-63 lowercase letters, digits or '-', starting and "
                   "ending with a letter or digit, not an IP address.",
    "minLength": BUCKET_NAME_MIN,
    "maxLength": BUCKET_NAME_MAX,
    "pattern": BUCKET_NAME_PATTERN,
}
_FOLDER: dict[str, Any] = {
    "type": "string",
    "description": "Path of the folder within the bucket; needed when access is restricted.",
    "pattern": FOLDER_PATH_PATTERN,
}

ACCESS_KEY_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": DRAFT_07,
    "type": "object",
    "description": "Defines auth params required for connecting to Amazon S3 with an access key.",
    "properties": {
        PARAM_ACCESS_KEY: {**_SECRET_TEXT, "description": "Access key id."},
        PARAM_SECRET_KEY: {**_SECRET_TEXT, "format": "password", "description": "Secret access key."},
        PARAM_SESSION_TOKEN: {**_SECRET_TEXT, "format": "password",
                              "description": "Temporary session token; refresh it by PATCH."},
        PARAM_SERVICE_URL: {"type": "string", "pattern": SERVICE_URL_PATTERN,
                            "description": "Region endpoint, https://s3.{REGION}.amazonaws.com."},
        PARAM_BUCKET_NAME: _BUCKET,
        PARAM_FOLDER_PATH: _FOLDER,
    },
    "required": [PARAM_ACCESS_KEY, PARAM_SECRET_KEY],
    "additionalProperties": False,
}

IAM_ROLE_SCHEMA: Final[Mapping[str, Any]] = {
    "$schema": DRAFT_07,
    "type": "object",
    "description": "Defines auth params for Amazon S3 through an IAM role trusted by Adobe.",
    "properties": {PARAM_BUCKET_NAME: _BUCKET, PARAM_FOLDER_PATH: _FOLDER},
    "required": [PARAM_BUCKET_NAME],
    "additionalProperties": False,
}

#: auth spec name -> (auth type, JSON Schema of its params)
AUTH_SPECS: Final[Mapping[str, tuple[str, Mapping[str, Any]]]] = {
    ACCESS_KEY: ("KeyBased", ACCESS_KEY_SCHEMA),
    IAM_ROLE_BASED: ("IamBasedAuthentication", IAM_ROLE_SCHEMA),
}


def auth_schema(auth_spec_name: str) -> dict[str, Any] | None:
    """A private deep copy of an auth spec's JSON Schema (``None`` for an unknown name)."""
    entry = AUTH_SPECS.get(auth_spec_name)
    return copy.deepcopy(dict(entry[1])) if entry is not None else None
