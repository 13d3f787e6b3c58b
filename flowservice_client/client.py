"""Base connections: create / read / update / delete / list, one HTTP request each.

The provider keeps the etag in Terraform state and hands it back for updates, so no call here
reads before writing. Extra requests happen only off the normal path: reconciling a create whose
response was lost, reading the current etag after an ambiguous PATCH ended in 412, and a GET if a
write response ever lacks its etag.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, urlsplit

from flowservice_spec import platform, s3

from .config import FlowServiceConfig
from .errors import (
    AmbiguousCreateError,
    FlowServiceError,
    NotFoundError,
    OutcomeUnknownError,
    PreconditionFailedError,
)

if TYPE_CHECKING:
    import requests

    from .session import CallStats, FlowServiceSession

__all__ = ["DEFAULT_CLOCK_SKEW", "ConnectionRef", "FlowServiceClient"]

log = logging.getLogger("flowservice_client")

#: Seconds subtracted from the local start time of a create when looking for what it created:
#: the server's ``createdAt`` comes from its own clock.
DEFAULT_CLOCK_SKEW = 120.0
_GONE_STATES = frozenset({"delete-finalizing", "deleted"})


@dataclass(frozen=True)
class ConnectionRef:
    """Identity and version of a connection after a write.

    ``adopted`` is true when a create's response was lost and the connection was found by
    reconciliation instead.
    """

    id: str
    etag: str
    adopted: bool = False


def _collect_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_strings(item, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_strings(item, out)


def secret_values_of_body(body: Mapping[str, Any]) -> list[str]:
    """Credential values of a create body, to be redacted from any error text."""
    out: list[str] = []
    auth = body.get("auth")
    if isinstance(auth, Mapping):
        _collect_strings(auth.get("params"), out)
    return out


def secret_values_of_ops(ops: Iterable[Mapping[str, Any]]) -> list[str]:
    """Values of patch operations touching ``/auth``: they may carry credentials."""
    out: list[str] = []
    for op in ops:
        path = op.get("path")
        if isinstance(path, str) and path.lower().startswith("/auth"):
            _collect_strings(op.get("value"), out)
    return out


def _op_target(record: Mapping[str, Any], path: str) -> tuple[bool, Any] | None:
    """(present, value) at a JSON Patch ``path`` of a read record; None where a read cannot show it."""
    parts = [p for p in path.split("/") if p]
    if len(parts) == 1 and parts[0] in ("name", "description"):
        return (parts[0] in record, record.get(parts[0]))
    if len(parts) == 3 and parts[:2] == ["auth", "params"] and parts[2] not in s3.SECRET_PARAMS:
        auth = record.get("auth")
        params = auth.get("params") if isinstance(auth, Mapping) else None
        if isinstance(params, Mapping):
            return (parts[2] in params, params.get(parts[2]))
    return None


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or value in (".", ".."):
        raise ValueError(f"{what} must be a non-empty string")
    return quote(value, safe="")


def _json(resp: requests.Response, method: str, path: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise FlowServiceError(
            resp.status_code, None, "Invalid response", "the response body is not JSON",
            resp.headers.get("x-request-id"), method=method, path=path,
        ) from None


def _first_item(doc: Any, method: str, path: str, what: str) -> dict[str, Any]:
    items = doc.get("items") if isinstance(doc, Mapping) else None
    if not items:
        raise NotFoundError(404, None, None, f"{what} not found (empty response)", method=method, path=path)
    item = items[0]
    if not isinstance(item, dict):
        raise FlowServiceError(
            None, None, "Invalid response", f"{what}: unexpected item shape", method=method, path=path
        )
    return item


def _next_params(doc: Mapping[str, Any], params: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
    """Query of the next page: ``_links.next.href``'s query over ours, or a bare ``continuationToken``.

    Only the query of ``href`` is used, never its host: a token must not follow a link elsewhere.
    """
    links = doc.get("_links")
    nxt = links.get("next") if isinstance(links, Mapping) else None
    href = nxt.get("href") if isinstance(nxt, Mapping) else None
    if isinstance(href, str) and href:
        pairs = parse_qsl(urlsplit(href).query, keep_blank_values=True)
        if not pairs:
            return None
        keys = {k for k, _ in pairs}
        return [(k, v) for k, v in params if k not in keys] + pairs
    token = doc.get("continuationToken")
    if isinstance(token, str) and token:
        return [(k, v) for k, v in params if k != "continuationToken"] + [("continuationToken", token)]
    return None


class FlowServiceClient:
    """Flow Service base connections for one org and sandbox.

    ``session`` may be a :class:`~flowservice_client.session.FlowServiceSession`, a plain
    ``requests.Session`` (e.g. with a test adapter mounted) to wrap, or ``None``. The session is
    built on first use, so constructing a client does not import ``requests``.
    """

    def __init__(
        self,
        config: FlowServiceConfig,
        session: FlowServiceSession | requests.Session | None = None,
        *,
        clock_skew: float = DEFAULT_CLOCK_SKEW,
        token_cache_dir: str | None = None,
        use_token_cache: bool = True,
    ) -> None:
        self.config = config
        self.clock_skew = clock_skew
        self._given = session
        self._session: FlowServiceSession | None = None
        self._token_cache_dir = token_cache_dir
        self._use_token_cache = use_token_cache
        self._lock = threading.Lock()

    @property
    def session(self) -> FlowServiceSession:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    from .session import FlowServiceSession

                    given = self._given
                    if isinstance(given, FlowServiceSession):
                        self._session = given
                    else:
                        self._session = FlowServiceSession(
                            self.config, given,
                            token_cache_dir=self._token_cache_dir, use_token_cache=self._use_token_cache,
                        )
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def stop(self) -> None:
        """Terraform was interrupted: stop retrying (nothing is built just to be stopped)."""
        if self._session is not None:
            self._session.stop()

    def __enter__(self) -> FlowServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- create ---------------------------------------------------------------------------

    def create_connection(self, body: Mapping[str, Any]) -> ConnectionRef:
        """POST /connections, never duplicating a connection when the response is lost.

        On an unknown outcome the connections named like ``body`` with its spec, created since
        the attempt began (minus ``clock_skew``), are listed: one match is adopted, none allows
        a single re-send, several raise :class:`AmbiguousCreateError`.
        """
        if not isinstance(body, Mapping):
            raise TypeError("body must be a mapping")
        session = self.session
        deadline = session.new_deadline()
        started = session.wall_clock()
        secrets = secret_values_of_body(body)
        resent = False
        while True:
            try:
                resp = session.request("POST", "/connections", json_body=body, deadline=deadline, secrets=secrets)
                return self._created(resp, deadline)
            except OutcomeUnknownError as err:
                log.warning("create of connection: outcome unknown (%s); reconciling", err.title)
                found = self._find_created(body, started, deadline, err)
                if len(found) == 1:
                    ref = self._adopt(found[0], deadline)
                    log.warning("create of connection: adopted %s created by the lost attempt", ref.id)
                    return ref
                if found:
                    ids = [str(item.get("id")) for item in found]
                    raise AmbiguousCreateError(
                        err.status, err.code, None,
                        f"{len(ids)} connections match the lost create; delete the extra ones or import one",
                        err.request_id, method="POST", path="/connections", candidate_ids=ids, cause=err,
                    ) from None
                if resent or session.clock() >= deadline:
                    raise AmbiguousCreateError(
                        err.status, err.code, None,
                        "no response to the create and no matching connection visible yet; "
                        "check for the connection before retrying",
                        err.request_id, method="POST", path="/connections", cause=err,
                    ) from None
                resent = True
                log.warning("create of connection: nothing was created; sending it once more")

    def _created(self, resp: requests.Response, deadline: float) -> ConnectionRef:
        """The new connection's ref; a 2xx whose body cannot be read is an unknown outcome, not a failure:
        the connection may exist, so the caller reconciles instead of reporting an error."""
        try:
            return self._ref_from_write(resp, "POST", "/connections", None, deadline)
        except FlowServiceError as unreadable:
            raise OutcomeUnknownError(
                resp.status_code, None, None,
                f"the create was answered {resp.status_code} but the answer could not be read "
                f"({unreadable.message}); the connection may exist",
                resp.headers.get("x-request-id"), method="POST", path="/connections", cause=unreadable,
            ) from None

    def _find_created(
        self, body: Mapping[str, Any], started: float, deadline: float, err: OutcomeUnknownError
    ) -> list[dict[str, Any]]:
        name = body.get("name")
        spec = body.get("connectionSpec")
        spec_id = spec.get("id") if isinstance(spec, Mapping) else None
        if not isinstance(name, str) or not name or not isinstance(spec_id, str) or not spec_id:
            raise AmbiguousCreateError(
                err.status, err.code, None, "the body has no name/connectionSpec.id to reconcile by",
                err.request_id, method="POST", path="/connections", cause=err,
            ) from None
        properties = [f"connectionSpec.id=={spec_id}"]
        if "," not in name:  # a comma would turn the filter into an OR; filter locally instead
            properties.insert(0, f"name=={name}")
        try:
            items = list(self._iter_connections(properties, None, None, deadline))
        except FlowServiceError as list_err:
            raise AmbiguousCreateError(
                err.status, err.code, None,
                f"no response to the create, and listing connections to check failed: {list_err}",
                err.request_id, method="POST", path="/connections", cause=err,
            ) from None
        since_ms = (started - self.clock_skew) * 1000
        return [item for item in items if self._could_be_ours(item, body, name, spec_id, since_ms)]

    @staticmethod
    def _could_be_ours(item: Any, body: Mapping[str, Any], name: str, spec_id: str, since_ms: float) -> bool:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            return False
        if item.get("name") != name:
            return False
        spec = item.get("connectionSpec")
        if isinstance(spec, Mapping) and spec.get("id") not in (None, spec_id):
            return False
        created = item.get("createdAt")
        if isinstance(created, (int, float)) and created < since_ms:
            return False
        if item.get("state") in _GONE_STATES:
            return False
        if "description" in body and "description" in item and item.get("description") != body.get("description"):
            return False
        auth, item_auth = body.get("auth"), item.get("auth")
        if isinstance(auth, Mapping) and isinstance(item_auth, Mapping):
            wanted, seen = auth.get("specName"), item_auth.get("specName")
            if wanted and seen and wanted != seen:
                return False
        return True

    def _adopt(self, item: Mapping[str, Any], deadline: float) -> ConnectionRef:
        etag = item.get("etag") or item.get("version")
        conn_id = str(item["id"])
        if not isinstance(etag, str) or not etag:
            etag = self._get_item(conn_id, deadline).get("etag")
        if not isinstance(etag, str) or not etag:
            raise FlowServiceError(None, None, "Invalid response", f"connection {conn_id} has no etag")
        return ConnectionRef(conn_id, etag, adopted=True)

    def _ref_from_write(
        self, resp: requests.Response, method: str, path: str, conn_id: str | None, deadline: float
    ) -> ConnectionRef:
        doc = _json(resp, method, path) if resp.content else {}
        doc = doc if isinstance(doc, Mapping) else {}
        new_id = doc.get("id") or conn_id
        if not new_id:
            location = resp.headers.get("Location") or ""
            new_id = location.rstrip("/").rsplit("/", 1)[-1] or None
        if not isinstance(new_id, str) or not new_id:
            raise FlowServiceError(resp.status_code, None, "Invalid response", "no connection id in the response",
                                   resp.headers.get("x-request-id"), method=method, path=path)
        etag = doc.get("etag") or resp.headers.get("ETag")
        if not isinstance(etag, str) or not etag:
            log.info("%s %s returned no etag; reading the connection for it", method, path)
            etag = self._get_item(new_id, deadline).get("etag")
        if not isinstance(etag, str) or not etag:
            raise FlowServiceError(resp.status_code, None, "Invalid response", "no etag for the connection",
                                   method=method, path=path)
        return ConnectionRef(new_id, etag)

    # -- read -----------------------------------------------------------------------------

    def get_connection(self, connection_id: str) -> dict[str, Any]:
        """GET /connections/{id}, unwrapped from ``items``; :class:`NotFoundError` if absent."""
        return self._get_item(connection_id, None)

    def _get_item(self, connection_id: str, deadline: float | None) -> dict[str, Any]:
        path = f"/connections/{_segment(connection_id, 'connection id')}"
        resp = self.session.request("GET", path, deadline=deadline)
        return _first_item(_json(resp, "GET", path), "GET", path, f"connection {connection_id}")

    def test_connection(self, connection_id: str) -> bool:
        """GET /connections/{id}/test: whether Flow Service can reach the source with it."""
        path = f"/connections/{_segment(connection_id, 'connection id')}/test"
        doc = _json(self.session.request("GET", path), "GET", path)
        return bool(doc.get("result")) if isinstance(doc, Mapping) else False

    def get_connection_spec(self, spec_id: str) -> dict[str, Any]:
        """GET /connectionSpecs/{id}, unwrapped from ``items``."""
        path = f"/connectionSpecs/{_segment(spec_id, 'connection spec id')}"
        resp = self.session.request("GET", path)
        return _first_item(_json(resp, "GET", path), "GET", path, f"connection spec {spec_id}")

    # -- update ---------------------------------------------------------------------------

    def update_connection(
        self, connection_id: str, etag: str, ops: Sequence[Mapping[str, Any]]
    ) -> ConnectionRef:
        """PATCH /connections/{id} with ``If-Match: <etag>`` exactly as given (no read first).

        If-Match makes the PATCH safe to retry. When a retry follows an attempt whose response
        was lost and the server then answers 412, the lost attempt may have been applied: one GET
        checks. If the connection was last written by this client since the attempt began and
        shows every visible value of ``ops``, the change is ours and its etag is returned (secret
        values cannot be read back; the writer and time stand for them). Otherwise
        :class:`PreconditionFailedError` with ``maybe_applied=True`` and the current etag.
        """
        from .session import CallStats

        if not isinstance(etag, str) or not etag:
            raise ValueError("etag must be a non-empty string")
        op_list = [dict(op) for op in ops]
        if not op_list:
            raise ValueError("ops must contain at least one JSON Patch operation")
        path = f"/connections/{_segment(connection_id, 'connection id')}"
        session = self.session
        deadline = session.new_deadline()
        started = session.wall_clock()
        stats: CallStats = CallStats()
        try:
            resp = session.request(
                "PATCH", path, json_body=op_list, headers={"If-Match": etag}, deadline=deadline,
                secrets=secret_values_of_ops(op_list), stats=stats,
            )
        except PreconditionFailedError as err:
            if not stats.ambiguous:
                raise
            err.maybe_applied = True
            try:
                current = self._get_item(connection_id, deadline)
            except FlowServiceError:
                raise err from None
            current_etag = current.get("etag")
            err.current_etag = current_etag if isinstance(current_etag, str) else None
            if err.current_etag and self._shows_our_change(current, op_list, started):
                log.info("PATCH %s: the answer was lost but the change is in place (etag %s)", path, err.current_etag)
                return ConnectionRef(connection_id, err.current_etag)
            raise
        return self._ref_from_write(resp, "PATCH", path, connection_id, deadline)

    def _shows_our_change(self, record: Mapping[str, Any], ops: Sequence[Mapping[str, Any]], started: float) -> bool:
        """Was ``record`` last written by this client since ``started``, with every visible value of ``ops``?"""
        if not platform.is_client(record.get("updatedClient"), self.config.client_id):
            return False
        updated = record.get("updatedAt")
        if not isinstance(updated, int | float) or updated < (started - self.clock_skew) * 1000:
            return False
        for op in ops:
            target = _op_target(record, str(op.get("path", "")))
            if target is None:  # a secret (masked on read) or a path we cannot see: the writer vouches
                continue
            present, value = target
            if str(op.get("op", "")).lower() == "remove":
                if present and value not in (None, ""):
                    return False
            elif not present or value != op.get("value"):
                return False
        return True

    # -- delete ---------------------------------------------------------------------------

    def delete_connection(self, connection_id: str) -> bool:
        """DELETE /connections/{id}; ``False`` if it was already gone (404), so deletes converge."""
        from .session import CallStats

        path = f"/connections/{_segment(connection_id, 'connection id')}"
        stats: CallStats = CallStats()
        try:
            self.session.request("DELETE", path, stats=stats)
        except NotFoundError:
            # After a lost response the 404 is most likely our own earlier attempt's doing.
            return stats.ambiguous
        return True

    # -- list -----------------------------------------------------------------------------

    def list_connections(
        self, properties: Iterable[str] = (), orderby: str | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every connection matching ``property`` filters (ANDed), following continuation pages.

        ``limit`` is the page size sent to the server, not a cap on what the iterator yields.
        Each page is one request with its own deadline; pages are fetched lazily.
        """
        return self._iter_connections(list(properties), orderby, limit, None)

    def _iter_connections(
        self, properties: list[str], orderby: str | None, limit: int | None, deadline: float | None
    ) -> Iterator[dict[str, Any]]:
        params: list[tuple[str, str]] = [("property", str(p)) for p in properties]
        if orderby:
            params.append(("orderby", orderby))
        if limit is not None:
            params.append(("limit", str(int(limit))))
        seen: set[tuple[tuple[str, str], ...]] = set()
        while True:
            resp = self.session.request("GET", "/connections", params=params, deadline=deadline)
            doc = _json(resp, "GET", "/connections")
            if not isinstance(doc, Mapping):
                return
            for item in doc.get("items") or []:
                if isinstance(item, dict):
                    yield item
            following = _next_params(doc, params)
            if following is None:
                return
            key = tuple(following)
            if key in seen or following == params:  # a server that loops must not hang us
                return
            seen.add(key)
            params = following

    def count_connections(self, properties: Iterable[str] = ()) -> int:
        """GET /connections?count=true (``limit`` must not be combined with it: error 1401)."""
        params = [("property", str(p)) for p in properties] + [("count", "true")]
        resp = self.session.request("GET", "/connections", params=params)
        doc = _json(resp, "GET", "/connections")
        if isinstance(doc, Mapping):
            if isinstance(doc.get("count"), int):
                return int(doc["count"])
            items = doc.get("items")
            if items and isinstance(items[0], Mapping) and isinstance(items[0].get("count"), int):
                return int(items[0]["count"])
        raise FlowServiceError(resp.status_code, None, "Invalid response", "no count in the response",
                               method="GET", path="/connections")
