"""Typed errors of the Flow Service client.

Every failure the client reports is a :class:`FlowServiceError`, so callers (the Terraform
provider) can turn any of them into a diagnostic with ``str(err)``. Messages are built only from
the status, the error code and the server's human text, redacted of every secret the client knows
(tokens, the client secret, credential values of the request); request bodies and headers are
never part of an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aep_spec.identity import UNREACHABLE

__all__ = [
    "AmbiguousCreateError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "Endpoint",
    "EndpointError",
    "FlowServiceError",
    "ImsAuthenticationError",
    "ImsError",
    "NotFoundError",
    "NotSentError",
    "OperationTimeoutError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "UnknownPathError",
    "UnreachableError",
    "error_from_response",
    "redact",
]

REDACTED = "***"
_MAX_MESSAGE = 600
# Secrets shorter than this are not searched for: replacing "a" everywhere would garble text
# without protecting anything real.
_MIN_SECRET_LEN = 4
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_TYPE_CODE = re.compile(r"([A-Z][A-Z0-9_]*)-(\d+)-(\d{3})$")

#: Flow Service's codes of a 404 that answers for the object asked about: it does not exist in
#: this sandbox (1101; 1102 in the sources catalogue), or the sandbox itself does not (2100, 2101).
NOT_FOUND_CODES = frozenset({"1101", "1102", "2100", "2101"})
_FLOW_TYPE = re.compile(r"/FLOW-\d+-404$")
# Gateway codes that mean "your credentials are wrong or missing" rather than "not allowed".
_GATEWAY_AUTH_CODES = frozenset({"401013", "403010", "403000", "403003"})
_IMS_AUTH_CODES = frozenset({"invalid_client", "unauthorized_client", "invalid_grant"})


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove known secrets (and anything shaped like an Authorization value) from ``text``."""
    if not text:
        return text
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_SECRET_LEN}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)


class FlowServiceError(Exception):
    """Base of every error the client raises; ``str()`` is safe to show to a user."""

    default_title = "Flow Service error"
    #: What the user can do about it; one sentence, shown after the details.
    hint = ""

    def __init__(
        self,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        message: str = "",
        request_id: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        error_type: str | None = None,
        service: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.title = title or self.default_title
        self.message = message
        self.request_id = request_id
        self.method = method
        self.path = path
        self.error_type = error_type
        #: "Flow Service" or "Adobe IMS": which of the two answered (or failed to).
        self.service = service or ("Adobe IMS" if isinstance(self, ImsError) else "Flow Service")
        super().__init__(self._render())

    def _details(self) -> list[str]:
        parts = []
        if self.status is not None:
            parts.append(f"status {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return parts

    def _render(self) -> str:
        head = self.title
        if self.method and self.path:
            head = f"{self.service} {self.method} {self.path}: {head}"
        elif self.status is not None:
            head = f"{self.service}: {head}"
        text = f"{head}: {self.message}" if self.message and self.message != self.title else head
        details = self._details()
        text = f"{text} ({', '.join(details)})" if details else text
        return f"{text}. {self.hint}" if self.hint else text

    def __str__(self) -> str:
        # Re-render so attributes set after construction (e.g. current_etag) are reflected.
        return self._render()


class ConfigurationError(FlowServiceError, ValueError):
    """The provider configuration is incomplete or invalid; raised before any request.

    ``attributes`` names the offending provider attributes, so a caller can point its
    diagnostics at them.
    """

    default_title = "Invalid Flow Service configuration"

    def __init__(self, *args: Any, attributes: Iterable[str] = (), **kwargs: Any) -> None:
        self.attributes = tuple(attributes)
        super().__init__(*args, **kwargs)


class BadRequestError(FlowServiceError):
    """400: the request was rejected as invalid (validation codes 13xx/14xx, missing headers)."""

    default_title = "Bad Request"
    hint = "The request was refused as invalid: fix the value the message names, then deploy again."


class AuthenticationError(FlowServiceError):
    """Credentials are missing, invalid or expired (401, gateway 401013/403010/403000/403003)."""

    default_title = "Authentication failed"
    hint = ("Check client_id and client_secret (AEP_CLIENT_ID, AEP_CLIENT_SECRET) and that the credential "
            "has the Experience Platform API in the Adobe Developer Console.")


class PermissionDeniedError(FlowServiceError):
    """403: authenticated but not allowed (e.g. 2118 write permission missing)."""

    default_title = "Permission denied"
    hint = ("The credential may not manage sources in this sandbox: add the sandbox and the Manage Sources "
            "permission to its product profile (Adobe Admin Console).")


class NotFoundError(FlowServiceError):
    """404 (code 1101 for connections): the entity does not exist in this sandbox."""

    @property
    def sandbox_missing(self) -> bool:
        """The sandbox itself does not exist (codes 2100/2101), rather than the entity in it."""
        return self.code in ("2100", "2101")

    default_title = "Not Found"
    hint = ("Check sandbox_name (AEP_SANDBOX_NAME) and the id; a connection deleted elsewhere is re-created "
            "by the next deploy.")


class PreconditionFailedError(FlowServiceError):
    """412/1404: the ``If-Match`` etag is stale; carries the etag sent and, when known, the current one."""

    default_title = "Precondition Failed"

    def __init__(
        self,
        status: int | None = 412,
        code: str | None = None,
        title: str | None = None,
        message: str = "",
        request_id: str | None = None,
        *,
        etag_sent: str | None = None,
        current_etag: str | None = None,
        maybe_applied: bool = False,
        **kwargs: Any,
    ) -> None:
        self.etag_sent = etag_sent
        self.current_etag = current_etag
        self.maybe_applied = maybe_applied
        super().__init__(status, code, title, message, request_id, **kwargs)

    def _details(self) -> list[str]:
        parts = super()._details()
        if self.etag_sent is not None:
            parts.append(f"etag sent {self.etag_sent}")
        if self.current_etag is not None:
            parts.append(f"current etag {self.current_etag}")
        if self.maybe_applied:
            parts.append("an earlier attempt whose response was lost may have applied the change")
        return parts


class RateLimitedError(FlowServiceError):
    """429 after the retry budget or the operation deadline ran out."""

    default_title = "Too Many Requests"
    hint = "Flow Service is throttling: deploy again later, lower -parallelism, or raise operation_timeout."

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)

    def _details(self) -> list[str]:
        parts = super()._details()
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g} s")
        return parts


class ServerError(FlowServiceError):
    """5xx after retries (or on a request that must not be retried blindly)."""

    default_title = "Server error"
    hint = "Flow Service failed; deploy again (the provider converges without duplicates)."


class TransportError(FlowServiceError):
    """No usable HTTP response: connection refused, reset, timed out, TLS failure."""

    default_title = "Connection failed"
    hint = "Check the URL (flow_service_url or ims_url), the network and any proxy settings, then deploy again."


class NotSentError(TransportError):
    """The request was never sent: the command's in-flight bound is gone, or Terraform was
    interrupted while the request waited for a slot (:mod:`aep_client.inflight`)."""

    default_title = "Not sent"
    hint = "Nothing reached Flow Service; run the command again."


class OperationTimeoutError(FlowServiceError):
    """The per-operation deadline (``operation_timeout``) passed before the call could finish."""

    default_title = "Operation timed out"
    hint = "Deploy again, or raise operation_timeout (AEP_OPERATION_TIMEOUT)."


class OutcomeUnknownError(FlowServiceError):
    """A non-idempotent request may or may not have taken effect (read timeout, reset, 5xx).

    The session raises it instead of re-sending; callers reconcile (see ``create_connection``).
    ``cause`` is the underlying error (itself redacted).
    """

    default_title = "Outcome unknown"

    def __init__(self, *args: Any, cause: FlowServiceError | None = None, **kwargs: Any) -> None:
        self.cause = cause
        super().__init__(*args, **kwargs)


class AmbiguousCreateError(OutcomeUnknownError):
    """A create whose outcome stayed unknown after reconciliation; ``candidate_ids`` lists matches."""

    default_title = "Connection create outcome is ambiguous"

    def __init__(self, *args: Any, candidate_ids: Iterable[str] = (), **kwargs: Any) -> None:
        self.candidate_ids = tuple(candidate_ids)
        super().__init__(*args, **kwargs)

    def _details(self) -> list[str]:
        parts = super()._details()
        if self.candidate_ids:
            parts.append("candidate ids " + ", ".join(self.candidate_ids))
        return parts


@dataclass(frozen=True)
class Endpoint:
    """Where a service is reached: the service, the setting that holds its URL, and that URL, so an
    error about the endpoint can name what to fix (``AEP_IMS_URL=...``)."""

    service: str  # "Flow Service", "Schema Registry", "Catalog", "Data Prep" or "Adobe IMS"
    setting: str  # the environment variable of the provider's attribute
    url: str
    #: What the URL is where it works (Adobe's), for a message about a wrong one.
    usual: str = ""
    #: The prefix of the codes in the service's problem documents (``FLOW-1101-404``, ``XDM-1012-404``).
    prefix: str = "FLOW"

    def __str__(self) -> str:
        return f"{self.setting}={self.url}"


class EndpointError(FlowServiceError):
    """A failure that is the endpoint's, not an object's: every call to it would meet it.

    ``headline`` and ``cause`` say it without naming the object of the call that met it, so that
    one diagnostic text serves every object (a report shows the cause once, with a count).
    """

    endpoint: Endpoint

    @property
    def headline(self) -> str:
        raise NotImplementedError

    @property
    def cause(self) -> str:
        raise NotImplementedError


class UnreachableError(EndpointError, TransportError):
    """No connection could be made to the endpoint (refused, the host name does not resolve, the
    connect timed out) within the retries' bound for such failures. The session remembers it: later
    calls to the endpoint in this process fail at once with the same error."""

    default_title = "Unreachable"

    def __init__(self, endpoint: Endpoint, reason: str, bound: float, *, method: str | None = None,
                 path: str | None = None) -> None:
        self.endpoint = endpoint
        self.reason = reason
        self.bound = bound
        self.hint = f"Check {endpoint.setting}, the network and any proxy settings, then run the command again."
        super().__init__(None, None, None, f"{endpoint}: {reason}", method=method, path=path,
                         service=endpoint.service)

    def again(self, method: str, path: str) -> UnreachableError:
        """The same error for a later call, which fails at once."""
        return UnreachableError(self.endpoint, self.reason, self.bound, method=method, path=path)

    @property
    def headline(self) -> str:
        return f"{UNREACHABLE} {self.endpoint.service}: {self.endpoint}"

    @property
    def cause(self) -> str:
        return (f"No connection to {self.endpoint.url}: {self.reason} (retried for up to {self.bound:g} s, "
                f"then every call failed at once). {self.hint}")


class UnknownPathError(EndpointError):
    """A 404 that is not Flow Service's answer about the object asked for (a gateway's, a web
    server's page, an empty body): no API answers at that path, so the URL's path is probably
    wrong. Never read as "the object was deleted"."""

    default_title = "No such API path"

    def __init__(self, endpoint: Endpoint, *args: Any, **kwargs: Any) -> None:
        self.endpoint = endpoint
        self.hint = f"The path is probably wrong in {endpoint.setting}" + (
            f" (Adobe's: {endpoint.usual})" if endpoint.usual else "") + "."
        super().__init__(*args, service=endpoint.service, **kwargs)

    @property
    def url(self) -> str:
        return self.endpoint.url + (self.path or "")

    def _render(self) -> str:
        call = " ".join(part for part in (self.service, self.method, self.url) if part)
        return f"{call}: {self.title}: {self.answer} ({', '.join(self._details())}). {self.hint}"

    @property
    def answer(self) -> str:
        """What came back, in words (the body's message, if it had one)."""
        return f"answered {self.message!r}" if self.message else f"answered with no error body of {self.service}"

    @property
    def headline(self) -> str:
        return f"No {self.endpoint.service} API at {self.endpoint}"

    @property
    def cause(self) -> str:
        code = f", code {self.code}" if self.code else ""
        return (f"Its paths {self.answer} (status {self.status}{code}), which is not {self.endpoint.service} "
                f"saying that an object does not exist: nothing is taken as deleted. {self.hint}")


class ImsError(FlowServiceError):
    """Adobe IMS refused or failed to issue an access token."""

    default_title = "Token request failed"
    hint = "Check ims_url (AEP_IMS_URL) and scopes (AEP_SCOPES); deploy again if IMS was unavailable."


class ImsAuthenticationError(ImsError, AuthenticationError):
    """IMS rejected the client credentials (``invalid_client`` and friends)."""

    default_title = "Client credentials rejected"
    hint = ("Check client_id and client_secret (AEP_CLIENT_ID, AEP_CLIENT_SECRET): they must be an OAuth "
            "Server-to-Server credential of the Adobe Developer Console.")


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return None


def _clean(text: str | None, secrets: Iterable[str | None]) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    text = redact(text, secrets)
    if len(text) > _MAX_MESSAGE:
        text = text[: _MAX_MESSAGE - 1] + "…"
    return text


def _decode_body(body: bytes | str | Mapping[str, Any] | None) -> Any:
    if body is None or isinstance(body, Mapping):
        return body
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        return None


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                return val
    return value


def answers_for_object(error_type: str | None, code: str | None, endpoint: Endpoint | None = None) -> bool:
    """Is this the service's own problem document saying that the object asked for does not exist?
    Flow Service says so with one of :data:`NOT_FOUND_CODES`; the other services with any code of
    theirs at 404 (``XDM-1012-404``; Catalog's and Data Prep's bodies are the local AEP's choice)."""
    prefix = endpoint.prefix if endpoint is not None else "FLOW"
    if prefix == "FLOW":
        return bool(error_type and _FLOW_TYPE.search(error_type)) and code in NOT_FOUND_CODES
    return bool(error_type and re.search(rf"/{re.escape(prefix)}-\d+-404$", error_type))


def error_from_response(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
    *,
    method: str | None = None,
    path: str | None = None,
    secrets: Iterable[str | None] = (),
    etag_sent: str | None = None,
    ims: bool = False,
    endpoint: Endpoint | None = None,
) -> FlowServiceError:
    """Build the typed error for an HTTP error response of Flow Service, the gateway or IMS.

    Understands the three body shapes Adobe uses: Flow's problem document (``type`` ending in
    ``FLOW-NNNN-SSS``), the API gateway's ``{error_code, message}`` and IMS' ``{error,
    error_description}``. Anything else falls back to the status line.

    A 404 is :class:`NotFoundError` only when Flow Service's problem document says the object (or
    its sandbox) does not exist; any other 404 (a gateway's body, an HTML page, nothing, or IMS's
    token path missing) means no API answers at the URL: :class:`UnknownPathError` naming
    ``endpoint``, the setting that holds the URL.
    """
    secrets = list(secrets)
    doc = _decode_body(body)
    code: str | None = None
    title: str | None = None
    message: str | None = None
    error_type: str | None = None
    request_id = _header(headers, "x-request-id")
    ims_code: str | None = None

    if isinstance(doc, Mapping):
        report = doc.get("report")
        report = report if isinstance(report, Mapping) else {}
        raw_type = doc.get("type")
        if isinstance(raw_type, str):
            error_type = raw_type
            match = _TYPE_CODE.search(raw_type)
            if match:
                code = match.group(2)
        if code is None and doc.get("error_code") is not None:
            code = _as_text(doc.get("error_code"))
        if code is None and isinstance(doc.get("error"), str):
            ims_code = doc["error"]
            code = ims_code
        if code is None and doc.get("code") is not None:
            code = _as_text(doc.get("code"))
        title = _as_text(doc.get("title"))
        for candidate in (
            report.get("detailed-message"),
            doc.get("errorMessage"),
            doc.get("detail"),
            doc.get("message"),
            doc.get("error_description"),
            doc.get("errorDetails"),
        ):
            text = _as_text(candidate)
            if text:
                message = text
                break
        rid = _as_text(report.get("request-id")) or _as_text(doc.get("request_id"))
        request_id = rid or request_id

    title = _clean(title, secrets) or None
    message_text = _clean(message, secrets)
    request_id = _clean(request_id, secrets) or None
    code = _clean(code, secrets) or None
    error_type = _clean(error_type, secrets) or None
    common: dict[str, Any] = {"method": method, "path": path, "error_type": error_type}
    if endpoint is not None and not ims:
        common["service"] = endpoint.service
    args = (status, code, title, message_text, request_id)

    if status == 404 and (ims or not answers_for_object(error_type, code, endpoint)):
        # Not Flow Service speaking of the object asked for: no API at this path.
        if endpoint is not None:
            return UnknownPathError(endpoint, *args, **{k: v for k, v in common.items() if k != "service"})
        if not ims:
            return FlowServiceError(*args, **common)
    if ims:
        if status == 401 or (ims_code in _IMS_AUTH_CODES):
            return ImsAuthenticationError(*args, **common)
        return ImsError(*args, **common)
    if status == 401 or (code in _GATEWAY_AUTH_CODES and status in (401, 403)):
        return AuthenticationError(*args, **common)
    if status == 403:
        return PermissionDeniedError(*args, **common)
    if status == 404:
        return NotFoundError(*args, **common)
    if status == 412:
        return PreconditionFailedError(*args, etag_sent=etag_sent, **common)
    if status == 429:
        from .retry import parse_retry_after

        retry_after = parse_retry_after(_header(headers, "Retry-After"))
        return RateLimitedError(*args, retry_after=retry_after, **common)
    if status >= 500:
        return ServerError(*args, **common)
    if status == 400:
        return BadRequestError(*args, **common)
    return FlowServiceError(*args, **common)
