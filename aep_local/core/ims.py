"""A stand-in for Adobe IMS's OAuth server-to-server token endpoint and the token check.

Tokens are random; only their SHA-256 is stored, so the database holds nothing replayable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote

from . import errors
from .gateway import Caller
from .http import Request, Response
from .routing import ANY_METHOD, Route, Service
from .store import Store

TOKEN_PATH = "/ims/token/v3"  # noqa: S105 - a path, not a password
DEFAULT_LIFETIME = 86399
DEFAULT_SCOPES = frozenset({
    "openid", "AdobeID", "read_organizations", "additional_info.projectedProductContext",
    "additional_info.roles", "additional_info.job_function", "session", "profile", "email",
    "read_pc.dma_aep", "read_pc", "read_pc.acp",
})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    """Issues bearer tokens for client credentials and resolves them back to a client id."""

    def __init__(self, store: Store, clients: Mapping[str, str] | None = None,
                 lifetime: int = DEFAULT_LIFETIME,
                 allowed_scopes: frozenset[str] | None = DEFAULT_SCOPES,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        # None means "any non-empty id/secret pair is a valid client".
        self.clients = dict(clients) if clients is not None else None
        self.lifetime = lifetime
        self.allowed_scopes = allowed_scopes
        self.clock = clock
        # hash -> (client id, expiry): tokens never change once issued, so a cache in front of
        # the database is always right; the database keeps them across restarts.
        self._cache: dict[str, tuple[str, float]] = {}
        self._cache_lock = threading.Lock()

    def issue(self, content_type: str, body: bytes,
              authorization: str | None = None) -> dict[str, object]:
        if "application/x-www-form-urlencoded" not in (content_type or "").lower():
            raise errors.ImsError(400, "invalid_request",
                                  "Content-Type must be application/x-www-form-urlencoded")
        try:
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            raise errors.ImsError(400, "invalid_request", "the body is not valid UTF-8") from None
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = _basic_credentials(authorization)
        if basic and not client_id:
            client_id, client_secret = basic
        grant = form.get("grant_type", "")
        if not grant:
            raise errors.ImsError(400, "invalid_request", "missing grant_type parameter")
        if grant != "client_credentials":
            raise errors.ImsError(400, "unsupported_grant_type",
                                  f"grant_type '{grant}' is not supported")
        if not client_id:
            raise errors.ImsError(400, "invalid_client", "missing client_id parameter")
        if not client_secret:
            raise errors.ImsError(401, "invalid_client", "missing client_secret parameter")
        if self.clients is not None:
            expected = self.clients.get(client_id)
            if expected is None:
                raise errors.ImsError(400, "invalid_client", "invalid client_id parameter")
            if not hmac.compare_digest(expected.encode(), client_secret.encode()):
                raise errors.ImsError(401, "invalid_client", "invalid client_secret parameter")
        scopes = [s.strip() for s in form.get("scope", "").split(",") if s.strip()]
        if not scopes:
            raise errors.ImsError(400, "invalid_scope", "missing scope parameter")
        if self.allowed_scopes is not None:
            bad = [s for s in scopes if s not in self.allowed_scopes]
            if bad:
                raise errors.ImsError(400, "invalid_scope", f"invalid scope ({', '.join(bad)})")
        token = "eyJ" + secrets.token_urlsafe(48)
        now = self.clock()
        with self.store.transaction() as tx:
            tx.purge_tokens(now)
            tx.put_token(token_hash(token), client_id, now + self.lifetime)
        with self._cache_lock:
            self._cache = {h: v for h, v in self._cache.items() if v[1] > now}
            self._cache[token_hash(token)] = (client_id, now + self.lifetime)
        return {"access_token": token, "token_type": "bearer", "expires_in": self.lifetime}

    def client_for(self, token: str) -> str | None:
        """The client id the token was issued to, or None when unknown or expired."""
        digest = token_hash(token)
        with self._cache_lock:
            found = self._cache.get(digest)
        if found is None:
            with self.store.read() as tx:
                found = tx.get_token(digest)
            if found is not None:
                with self._cache_lock:
                    self._cache[digest] = found
        if found is None:
            return None
        client_id, expires_at = found
        return client_id if expires_at > self.clock() else None


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (unquote(user), unquote(password)) if sep else None


def ims_service(tokens: TokenService, render: Callable[[errors.Refusal, str], dict[str, Any]]) -> Service:
    """`/ims/token/v3`, reached without the gateway; any method but POST is IMS's own 405. An injected
    fault renders with `render` (Flow Service's shape, as before there were other services)."""
    def token(req: Request, caller: Caller, params: dict[str, str]) -> Response:
        if req.method != "POST":
            raise errors.ImsError(405, "invalid_request", "use POST")
        issued = tokens.issue(req.header("content-type") or "", req.body, req.header("authorization"))
        return Response(200, issued, {"Cache-Control": "no-store"})

    return Service("ims", "", "", render, [Route(ANY_METHOD, TOKEN_PATH, token)], gateway=False)
