"""Error types every service raises; the service that answers decides the wire body.

A `Refusal` carries what Adobe's services all say (a code, an HTTP status, a message); the route's
service renders it in its own problem shape (Flow Service's `FLOW-<code>-<status>`, the Schema
Registry's `XDM-…`, Catalog's and Data Prep's). Shared code (the gateway, JSON bodies, listing)
therefore raises one type and never needs to know which service it serves. The gateway's and IMS's
errors have bodies of their own, whatever the service.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any


class ServiceError(Exception):
    """Anything that turns into an HTTP error response."""

    status: int = 500

    def body(self, request_id: str) -> dict[str, Any]:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {}


class Refusal(ServiceError):
    """A service's refusal: code, status and message, rendered by the service that answers."""

    def __init__(self, code: str, status: int, message: str, title: str | None = None,
                 details: Any = None) -> None:
        super().__init__(f"{code}-{status}: {message}")
        self.code = code
        self.status = status
        self.message = message
        self.title = title or default_title(status)
        self.details = details if details is not None else message


class GatewayError(ServiceError):
    """An error from Adobe's API gateway, which answers before any service sees the call."""

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


class InjectedFault(Refusal):
    """A failure injected on purpose by the fault-injection settings."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(code, status, message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}


def problem_renderer(type_uri: str) -> Callable[[Refusal, str], dict[str, Any]]:
    """The Platform's problem shape (`type`, `title`, `status`, `detail`, plus Flow's `report`), for a
    service whose `type` URI is `type_uri` with `{code}` and `{status}` in it."""
    def render(error: Refusal, request_id: str) -> dict[str, Any]:
        return {"type": type_uri.format(code=error.code, status=error.status), "title": error.title,
                "status": error.status, "detail": error.message,
                "report": {"detailed-message": error.message, "request-id": request_id}}
    return render


def bad_request(message: str) -> Refusal:
    """A malformed body or query, as the services after Flow Service answer it (code 1000)."""
    return Refusal("1000", 400, message, title="Bad Request")


def default_title(status: int) -> str:
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


def injected(kind: str, retry_after: int) -> InjectedFault:
    """The refusal an injected `429`, `500` or `503` answers with (codes of Flow's catalogue)."""
    if kind == "429":
        return InjectedFault(429, "1429", "Too many requests (injected).", retry_after)
    if kind == "503":
        return InjectedFault(503, "1103", "The service is temporarily unavailable (injected). Please try again.",
                             retry_after)
    return InjectedFault(500, "1102", "An internal error has occurred (injected). Please try again.")


# --- what every service answers the same way ------------------------------------------------

def no_such_path() -> GatewayError:
    """A path that is no API: the gateway answers before any service, in its own shape, so a
    client can tell it from a service's answer for a missing object (Flow Service's 1101)."""
    return GatewayError(404, "404000", "Not Found")


def method_not_allowed(method: str, template: str, allowed: list[str]) -> Refusal:
    return Refusal("1000", 405, f"Method {method} is not allowed on {template}; use {', '.join(allowed)}.",
                   title="Method Not Allowed")


def internal_error() -> Refusal:
    return Refusal("1102", 500, "An internal error has occurred. Please try again. If the problem persists, "
                   "please contact customer support.", title="Internal Error")


def unsupported_media_type(content_type: str) -> Refusal:
    return Refusal("1004", 415, f"The provided payload format '{content_type}' is unsupported. "
                   "Please send 'Content-Type: application/json' and try again.", title="Unsupported Media Type")


def sandbox_header_missing() -> Refusal:
    return Refusal("2105", 400, "The header x-sandbox-name is missing in the request. "
                   "Please add the header in the request and try again.", title="Header is missing")


def sandbox_not_found(name: str) -> Refusal:
    return Refusal("2100", 404, f"The sandbox with the name '{name}' could not be found. Please "
                   "ensure that the sandbox name is correct and try again.", title="Sandbox not found")


# --- the gateway ---------------------------------------------------------------------------

def token_missing() -> GatewayError:
    return GatewayError(401, "403010", "Oauth token is missing.")


def token_invalid() -> GatewayError:
    return GatewayError(401, "401013", "Oauth token is not valid")


def api_key_missing() -> GatewayError:
    return GatewayError(403, "403000", "Api Key is required")


def api_key_invalid() -> GatewayError:
    return GatewayError(403, "403003", "Api Key is invalid")


def org_missing() -> GatewayError:
    return GatewayError(400, "400003", "Missing header x-gw-ims-org-id")
