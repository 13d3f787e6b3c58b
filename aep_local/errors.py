"""Error types and their wire bodies, kept apart so every layer raises the same shapes."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

FLOW_ERROR_TYPE = "https://ns.adobe.com/aep/errors/FLOW-{code}-{status}"


class ServiceError(Exception):
    """Anything that turns into an HTTP error response."""

    status: int = 500

    def body(self, request_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {}


class FlowError(ServiceError):
    """A Flow Service error: Adobe's `FLOW-<code>-<status>` problem body."""

    def __init__(self, code: str, status: int, message: str, title: str | None = None,
                 details: Any = None) -> None:
        super().__init__(f"{code}-{status}: {message}")
        self.code = code
        self.status = status
        self.message = message
        self.title = title or _title(status)
        self.details = details if details is not None else message

    def body(self, request_id: str) -> dict[str, Any]:
        return {
            "type": FLOW_ERROR_TYPE.format(code=self.code, status=self.status),
            "title": self.title,
            "status": self.status,
            "report": {"detailed-message": self.message, "request-id": request_id},
            "errorMessage": self.message,
            "errorDetails": self.details,
        }


class GatewayError(ServiceError):
    """An error from Adobe's API gateway, which answers before Flow Service sees the call."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message}


class ImsError(ServiceError):
    """An OAuth error from IMS (RFC 6749 section 5.2 shape)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self, request_id: str) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


class InjectedFault(ServiceError):
    """A failure injected on purpose by the fault-injection settings."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.inner = FlowError(code, status, message)
        self.retry_after = retry_after

    def body(self, request_id: str) -> dict[str, Any]:
        return self.inner.body(request_id)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def _title(status: int) -> str:
    if status == 400:
        return "Invalid request"
    if status == 404:
        return "Resource not found"
    if status == 412:
        return "Version not matching"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --- constructors for the documented cases (code, status, message from Adobe's catalogue) ---

def bad_request(message: str) -> FlowError:
    return FlowError("1000", 400, message, title="Bad request")


def not_found(entity_id: str) -> FlowError:
    return FlowError("1101", 404, "The requested resource is not found. Error from flow provider: "
                     f"Resource with id '{entity_id}' does not exist.")


def unsupported_media_type(content_type: str) -> FlowError:
    return FlowError("1004", 415, f"The provided payload format '{content_type}' is unsupported. "
                     "Please send 'Content-Type: application/json' and try again.",
                     title="Unsupported Media Type")


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


def sandbox_header_missing() -> FlowError:
    return FlowError("2105", 400, "The header x-sandbox-name is missing in the request. "
                     "Please add the header in the request and try again.", title="Header is missing")


def sandbox_not_found(name: str) -> FlowError:
    return FlowError("2100", 404, f"The sandbox with the name '{name}' could not be found. Please "
                     "ensure that the sandbox name is correct and try again.", title="Sandbox not found")


def internal_error() -> FlowError:
    return FlowError("1102", 500, "An internal error has occurred. Please try again. If the problem "
                     "persists, please contact customer support.", title="Internal Error")


# gateway
def token_missing() -> GatewayError:
    return GatewayError(401, "403010", "Oauth token is missing.")


def token_invalid() -> GatewayError:
    return GatewayError(401, "401013", "Oauth token is not valid")


def api_key_missing() -> GatewayError:
    return GatewayError(403, "403000", "Api Key is required")


def api_key_invalid() -> GatewayError:
    return GatewayError(403, "403003", "Api Key is invalid")


def no_such_path() -> GatewayError:
    """A path that is no API: the gateway answers before any service, in its own shape, so a
    client can tell it from Flow Service's 1101 for a missing object."""
    return GatewayError(404, "404000", "Not Found")


def org_missing() -> GatewayError:
    return GatewayError(400, "400003", "Missing header x-gw-ims-org-id")
