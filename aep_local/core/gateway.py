"""Adobe's API gateway in front of every service: the bearer token, the API key, the org and the
sandbox headers, and the body's media type, checked before any service sees the call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import errors
from .http import Request

if TYPE_CHECKING:
    from .ims import TokenService

DEFAULT_SANDBOX = "prod"
JSON_TYPES = ("application/json", "application/json-patch+json")
SANDBOX_NAMESPACE = uuid.UUID("6b36e130-c5d7-11e9-949c-0da8d50fcac1")


@dataclass(frozen=True)
class Caller:
    """Who is calling, as established by the gateway headers."""

    client_id: str
    org_id: str
    sandbox: str

    @property
    def sandbox_id(self) -> str:
        return str(uuid.uuid5(SANDBOX_NAMESPACE, f"{self.org_id}/{self.sandbox}"))

    @property
    def user(self) -> str:
        # Service tokens: Adobe reports createdBy equal to createdClient.
        return f"{self.client_id}@AdobeID"


@dataclass(frozen=True)
class Gateway:
    tokens: TokenService
    sandboxes: frozenset[str] = frozenset({DEFAULT_SANDBOX})
    require_sandbox_header: bool = False

    def admit(self, req: Request) -> Caller:
        """The caller, or the gateway's (then the sandbox's, then the media type's) refusal."""
        authorization = req.header("authorization") or ""
        scheme, _, token = authorization.partition(" ")
        if not authorization or scheme.lower() != "bearer" or not token.strip():
            raise errors.token_missing()
        api_key = req.header("x-api-key")
        if not api_key:
            raise errors.api_key_missing()
        client_id = self.tokens.client_for(token.strip())
        if client_id is None:
            raise errors.token_invalid()
        if api_key != client_id:
            raise errors.api_key_invalid()
        org = req.header("x-gw-ims-org-id")
        if not org:
            raise errors.org_missing()
        sandbox = req.header("x-sandbox-name")
        if sandbox is None or sandbox == "":
            if self.require_sandbox_header:
                raise errors.sandbox_header_missing()
            sandbox = DEFAULT_SANDBOX
        if sandbox not in self.sandboxes:
            raise errors.sandbox_not_found(sandbox)
        # A body must be JSON; a call without one (Flow's enable action as aepp sends it) needs no type.
        if req.method in ("POST", "PATCH", "PUT") and req.body.strip():
            content_type = (req.header("content-type") or "").split(";")[0].strip().lower()
            if content_type not in JSON_TYPES:
                raise errors.unsupported_media_type(content_type or "(none)")
        return Caller(client_id=client_id, org_id=org, sandbox=sandbox)
