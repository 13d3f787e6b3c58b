"""The Schema Registry's refusals: its problem body (`XDM-<code>-<status>`, an `http://` type URI,
`report.registryRequestId`) and its cases. Codes Adobe documents: 1006-1009 (Accept), 1010-1017
(not found), 1020-1024 (field rules), 1521 (title not unique); the local AEP's own: 1000 (a
malformed body or query), 1529 (a breaking change) and 1530 (in use)."""

from __future__ import annotations

import time
from typing import Any

from aep_spec import xdm

from ..core.errors import Refusal

ERROR_TYPE = "http://ns.adobe.com/aep/errors/XDM-{code}-{status}"


def render(error: Refusal, request_id: str) -> dict[str, Any]:
    return {
        "type": ERROR_TYPE.format(code=error.code, status=error.status),
        "title": error.title,
        "status": error.status,
        "report": {"registryRequestId": request_id,
                   "timestamp": time.strftime("%m-%d-%Y %H:%M:%S", time.gmtime()),
                   "detailed-message": error.message, "sub-errors": []},
        "detail": error.message,
    }


def bad_request(message: str) -> Refusal:
    return Refusal("1000", 400, message, title="Bad Request")


def accept_missing(value: str | None) -> Refusal:
    return Refusal("1006", 400, f"The Accept header '{value or ''}' is not supported: send application/vnd.adobe."
                   "{xed|xdm}[-full][-notext]+json; version=1 (lists: application/vnd.adobe.xed-id+json).",
                   title="Invalid Accept header")


def accept_version_missing(value: str) -> Refusal:
    return Refusal("1007", 400, f"The Accept header '{value}' needs a major version, as in '; version=1'.",
                   title="Invalid Accept header")


def version_not_available(value: str) -> Refusal:
    return Refusal("1008", 406, f"The version asked for by '{value}' is not available: only version 1 is.",
                   title="Not Acceptable")


def not_found(kind: str, resource_id: str) -> Refusal:
    code = {"schemas": "1012", "mixins": "1013", "classes": "1010"}.get(kind, "1011")
    return Refusal(code, 404, f"The resource {resource_id} could not be found.", title="Not Found")


def field_rule(code: str, message: str) -> Refusal:
    return Refusal(code, 400, message, title="Invalid field")


def title_not_unique(existing_id: str) -> Refusal:
    return Refusal(xdm.TITLE_NOT_UNIQUE, 400, f"Object titles must be unique. An object {existing_id} already "
                   "exists with the same title", title="Title not unique")


def breaking_change(schema_id: str, datasets: list[str], what: str) -> Refusal:
    return Refusal(xdm.BREAKING_CHANGE, 400, f"{what} would break the schema {schema_id}, which the datasets "
                   f"{', '.join(datasets)} use: once a dataset uses a schema, only additive changes are allowed.",
                   title="Breaking change")


def in_use(resource_id: str, users: list[str]) -> Refusal:
    return Refusal(xdm.IN_USE, 400, f"The resource {resource_id} cannot be deleted: {', '.join(users)} use it.",
                   title="Resource in use")
