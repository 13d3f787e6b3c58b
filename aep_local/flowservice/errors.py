"""Flow Service's refusals: its problem body (`FLOW-<code>-<status>`) and the documented cases
(code, status and message from Adobe's catalogue)."""

from __future__ import annotations

from typing import Any

from ..core.errors import Refusal

FLOW_ERROR_TYPE = "https://ns.adobe.com/aep/errors/FLOW-{code}-{status}"


class FlowError(Refusal):
    """A refusal of Flow Service's own (any service's refusal renders the same way here)."""


def render(error: Refusal, request_id: str) -> dict[str, Any]:
    """Adobe's Flow Service problem document."""
    return {
        "type": FLOW_ERROR_TYPE.format(code=error.code, status=error.status),
        "title": error.title,
        "status": error.status,
        "report": {"detailed-message": error.message, "request-id": request_id},
        "errorMessage": error.message,
        "errorDetails": error.details,
    }


def bad_request(message: str) -> FlowError:
    return FlowError("1000", 400, message, title="Bad request")


def not_found(entity_id: str) -> FlowError:
    return FlowError("1101", 404, "The requested resource is not found. Error from flow provider: "
                     f"Resource with id '{entity_id}' does not exist.")


def if_match_missing() -> FlowError:
    return FlowError("1403", 400, "The header 'If-Match' is missing in the request. "
                     "Please provide the header and try again.", title="Header is missing")


def version_mismatch(supplied: str, current: str) -> FlowError:
    return FlowError("1404", 412, f"The supplied version '{supplied}' does not match the current "
                     f"version on entity '{current}'. Please ensure that the supplied version matches "
                     "the current version on entity and try again.")


def empty_body() -> FlowError:
    return FlowError("1405", 400, "The request body cannot be null or empty. "
                     "Please provide a request body and try again.")


def unknown_spec(spec_id: str) -> FlowError:
    return FlowError("1413", 400, f"The spec ID '{spec_id}' provided is invalid. "
                     "Please provide a valid spec ID and try again.")


def spec_not_updatable() -> FlowError:
    return FlowError("1414", 400, "The connection spec of a connection cannot be updated.")


def unknown_auth_spec(name: str, spec_id: str) -> FlowError:
    return FlowError("1415", 400, f"The auth spec '{name}' could not be found for the connection "
                     f"spec ID {spec_id}.")


def unsupported_op(op: str) -> FlowError:
    return FlowError("1434", 400, f"Unsupported operation '{op}' received. Please use one of the "
                     "supported operation types (add, replace, remove) and try again.")


def bad_patch(detail: str) -> FlowError:
    return FlowError("1455", 400, f"An error has occurred while validating patch instructions: {detail}")


def missing_field(field: str) -> FlowError:
    return FlowError("1304", 400, f"The mandatory field {field} is not provided. "
                     f"Please provide the {field} and try again.", title="Bad Request")


def invalid_param(prop: str, detail: str) -> FlowError:
    return FlowError("1312", 400, f"The provided param value is not a valid input for "
                     f"property={prop}: {detail}. Please provide a valid param value and try again.",
                     title="Bad Request")


def base_connection_in_use(conn_id: str, flows: list[str]) -> FlowError:
    return FlowError("1418", 400, f"The connection '{conn_id}' cannot be deleted: it is used by the "
                     f"flows {', '.join(flows)}. Delete those flows first and try again.")


def connection_in_use(conn_id: str, flows: list[str]) -> FlowError:
    return FlowError("1447", 400, f"Found active flows containing id {conn_id}: {', '.join(flows)}. "
                     "Delete those flows first and try again.")


def mapping_invalid(detail: str) -> FlowError:
    return FlowError("1419", 400, f"The mapping is invalid: {detail}")


def mapping_version_invalid(mapping_id: str, version: Any) -> FlowError:
    return FlowError("1412", 400, f"The mapping version '{version}' of mapping '{mapping_id}' does not "
                     "exist. Please provide a valid mapping version and try again.")


def mapping_schema_mismatch(mapping_schema: str, target_schema: str) -> FlowError:
    return FlowError("1425", 400, f"The mapping's target schema '{mapping_schema}' does not match the "
                     f"schema '{target_schema}' of the target dataset.")


def not_allowed_in_state(detail: str) -> FlowError:
    return FlowError("1422", 400, f"The action is not allowed in the current state: {detail}")


def limit_with_count() -> FlowError:
    return FlowError("1401", 400, "The limit and count parameters cannot be given together in the "
                     "same request. Please provide either only the limit or the count parameter and "
                     "try again.")
