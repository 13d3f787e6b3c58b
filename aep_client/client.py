"""Flow Service objects (base, source and target connections, dataflows): create / read / update /
delete / list, one HTTP request each, for every kind alike (:mod:`aep_client.kinds`);
plus what only some kinds have: a flow's enable/disable action, its runs, a connection's explore.

The provider keeps the etag in Terraform state and hands it back for updates, so no call here
reads before writing. Extra requests happen only off the normal path: reconciling a create whose
response was lost, reading the current etag after an ambiguous PATCH ended in 412, and a GET if a
write response ever lacks its etag.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, quote, urlsplit

from aep_spec import platform

from .config import FlowServiceConfig
from .errors import (
    AmbiguousCreateError,
    FlowServiceError,
    NotFoundError,
    OutcomeUnknownError,
    PreconditionFailedError,
)
from .kinds import CONNECTIONS, FLOWS, Kind

if TYPE_CHECKING:
    import requests

    from .catalog import CatalogClient
    from .dataprep import DataPrepClient
    from .schema_registry import SchemaRegistryClient
    from .session import CallStats, FlowServiceSession

__all__ = ["DEFAULT_CLOCK_SKEW", "ConnectionRef", "FlowServiceClient", "ObjectRef"]

log = logging.getLogger("aep_client")
_S = TypeVar("_S")

#: Seconds subtracted from the local start time of a create when looking for what it created:
#: the server's ``createdAt`` comes from its own clock.
DEFAULT_CLOCK_SKEW = 120.0
_GONE_STATES = frozenset({"delete-finalizing", "deleted"})


@dataclass(frozen=True)
class ObjectRef:
    """Identity and version of an object after a write.

    ``adopted`` is true when a create's response was lost and the object was found by
    reconciliation instead.
    """

    id: str
    etag: str
    adopted: bool = False


#: The name base connections have always used.
ConnectionRef = ObjectRef


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


def _op_target(record: Mapping[str, Any], path: str, kind: Kind) -> tuple[bool, Any] | None:
    """(present, value) at a JSON Patch ``path`` of a read record; None where a read cannot show it
    (a secret, masked on read, or a path into a list)."""
    if path.rstrip("/") in kind.secret_paths:
        return None
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/") if p]
    value: Any = record
    for part in parts:
        if isinstance(value, Mapping):
            if part not in value:
                return (False, None)
            value = value[part]
        else:
            return None
    return (True, value)


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
    """Flow Service objects of one org and sandbox.

    ``session`` may be a :class:`~aep_client.session.FlowServiceSession`, a plain
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
        self._services: dict[str, Any] = {}

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

    # -- the other services, on the same session (one token, one retry policy, one in-flight bound) --

    @property
    def registry(self) -> SchemaRegistryClient:
        from .schema_registry import SchemaRegistryClient

        return self._service("registry", lambda: SchemaRegistryClient(self.session,
                                                                      self.config.schema_registry_endpoint))

    @property
    def catalog(self) -> CatalogClient:
        from .catalog import CatalogClient

        return self._service("catalog", lambda: CatalogClient(self.session, self.config.catalog_endpoint))

    @property
    def prep(self) -> DataPrepClient:
        from .dataprep import DataPrepClient

        return self._service("prep", lambda: DataPrepClient(self.session, self.config.data_prep_endpoint))

    def _service(self, name: str, build: Callable[[], _S]) -> _S:
        """One client per service, built once (the session first: it takes the same lock)."""
        _ = self.session
        with self._lock:
            found: _S | None = self._services.get(name)
            if found is None:
                found = self._services[name] = build()
        return found

    def stop(self) -> None:
        """Terraform was interrupted: stop retrying (nothing is built just to be stopped)."""
        if self._session is not None:
            self._session.stop()

    def __enter__(self) -> FlowServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- create ---------------------------------------------------------------------------

    def create(self, kind: Kind, body: Mapping[str, Any], query: Mapping[str, str] | None = None) -> ObjectRef:
        """POST to the kind's collection, never duplicating an object when the response is lost.

        On an unknown outcome the objects named like ``body`` with its spec, created since the
        attempt began (minus ``clock_skew``), are listed: one match is adopted, none allows a
        single re-send, several raise :class:`AmbiguousCreateError`.
        """
        if not isinstance(body, Mapping):
            raise TypeError("body must be a mapping")
        session = self.session
        deadline = session.new_deadline()
        started = session.wall_clock()
        secrets = secret_values_of_body(body) if kind.has_auth else []
        resent = False
        while True:
            try:
                resp = session.request("POST", kind.path, params=dict(query or {}) or None, json_body=body,
                                       deadline=deadline, secrets=secrets)
                return self._created(kind, resp, deadline)
            except OutcomeUnknownError as err:
                log.warning("create of %s: outcome unknown (%s); reconciling", kind.noun, err.title)
                found = self._find_created(kind, body, started, deadline, err)
                if len(found) == 1:
                    ref = self._adopt(kind, found[0], deadline)
                    log.warning("create of %s: adopted %s created by the lost attempt", kind.noun, ref.id)
                    return ref
                if found:
                    ids = [str(item.get("id")) for item in found]
                    raise AmbiguousCreateError(
                        err.status, err.code, None,
                        f"{len(ids)} {kind.noun}s match the lost create; delete the extra ones or import one",
                        err.request_id, method="POST", path=kind.path, candidate_ids=ids, cause=err,
                    ) from None
                if resent or session.clock() >= deadline:
                    raise AmbiguousCreateError(
                        err.status, err.code, None,
                        f"no response to the create and no matching {kind.noun} visible yet; "
                        f"check for the {kind.noun} before retrying",
                        err.request_id, method="POST", path=kind.path, cause=err,
                    ) from None
                resent = True
                log.warning("create of %s: nothing was created; sending it once more", kind.noun)

    def _created(self, kind: Kind, resp: requests.Response, deadline: float) -> ObjectRef:
        """The new object's ref; a 2xx whose body cannot be read is an unknown outcome, not a failure:
        the object may exist, so the caller reconciles instead of reporting an error."""
        try:
            return self._ref_from_write(kind, resp, "POST", kind.path, None, deadline)
        except FlowServiceError as unreadable:
            raise OutcomeUnknownError(
                resp.status_code, None, None,
                f"the create was answered {resp.status_code} but the answer could not be read "
                f"({unreadable.message}); the {kind.noun} may exist",
                resp.headers.get("x-request-id"), method="POST", path=kind.path, cause=unreadable,
            ) from None

    def _find_created(
        self, kind: Kind, body: Mapping[str, Any], started: float, deadline: float, err: OutcomeUnknownError
    ) -> list[dict[str, Any]]:
        name = body.get("name")
        spec = body.get(kind.spec_field)
        spec_id = spec.get("id") if isinstance(spec, Mapping) else None
        if not isinstance(name, str) or not name or not isinstance(spec_id, str) or not spec_id:
            raise AmbiguousCreateError(
                err.status, err.code, None, f"the body has no name/{kind.spec_field}.id to reconcile by",
                err.request_id, method="POST", path=kind.path, cause=err,
            ) from None
        properties = [f"{kind.spec_field}.id=={spec_id}"]
        if "," not in name:  # a comma would turn the filter into an OR; filter locally instead
            properties.insert(0, f"name=={name}")
        try:
            items = list(self._iter(kind, properties, None, None, deadline))
        except FlowServiceError as list_err:
            raise AmbiguousCreateError(
                err.status, err.code, None,
                f"no response to the create, and listing {kind.noun}s to check failed: {list_err}",
                err.request_id, method="POST", path=kind.path, cause=err,
            ) from None
        since_ms = (started - self.clock_skew) * 1000
        return [item for item in items if self._could_be_ours(kind, item, body, name, spec_id, since_ms)]

    @staticmethod
    def _could_be_ours(kind: Kind, item: Any, body: Mapping[str, Any], name: str, spec_id: str,
                       since_ms: float) -> bool:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            return False
        if item.get("name") != name:
            return False
        spec = item.get(kind.spec_field)
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

    def _adopt(self, kind: Kind, item: Mapping[str, Any], deadline: float) -> ObjectRef:
        etag = item.get("etag") or item.get("version")
        object_id = str(item["id"])
        if not isinstance(etag, str) or not etag:
            etag = self._get_item(kind, object_id, deadline).get("etag")
        if not isinstance(etag, str) or not etag:
            raise FlowServiceError(None, None, "Invalid response", f"{kind.noun} {object_id} has no etag")
        return ObjectRef(object_id, etag, adopted=True)

    def _ref_from_write(
        self, kind: Kind, resp: requests.Response, method: str, path: str, object_id: str | None, deadline: float
    ) -> ObjectRef:
        doc = _json(resp, method, path) if resp.content else {}
        doc = doc if isinstance(doc, Mapping) else {}
        items = doc.get("items")  # on-demand runs answer {"items": [{"id", "etag"}]} in the tutorial
        if not doc.get("id") and isinstance(items, list) and items and isinstance(items[0], Mapping):
            doc = items[0]
        new_id = doc.get("id") or object_id
        if not new_id:
            location = resp.headers.get("Location") or ""
            new_id = location.rstrip("/").rsplit("/", 1)[-1] or None
        if not isinstance(new_id, str) or not new_id:
            raise FlowServiceError(resp.status_code, None, "Invalid response", f"no {kind.noun} id in the response",
                                   resp.headers.get("x-request-id"), method=method, path=path)
        etag = doc.get("etag") or doc.get("eTag") or resp.headers.get("ETag")
        if not isinstance(etag, str) or not etag:
            log.info("%s %s returned no etag; reading the %s for it", method, path, kind.noun)
            etag = self._get_item(kind, new_id, deadline).get("etag")
        if not isinstance(etag, str) or not etag:
            raise FlowServiceError(resp.status_code, None, "Invalid response", f"no etag for the {kind.noun}",
                                   method=method, path=path)
        return ObjectRef(new_id, etag)

    # -- read -----------------------------------------------------------------------------

    def get(self, kind: Kind, object_id: str) -> dict[str, Any]:
        """GET {collection}/{id}, unwrapped from ``items``; :class:`NotFoundError` if absent."""
        return self._get_item(kind, object_id, None)

    def _get_item(self, kind: Kind, object_id: str, deadline: float | None) -> dict[str, Any]:
        path = f"{kind.path}/{_segment(object_id, f'{kind.noun} id')}"
        resp = self.session.request("GET", path, deadline=deadline)
        return _first_item(_json(resp, "GET", path), "GET", path, f"{kind.noun} {object_id}")

    # -- update ---------------------------------------------------------------------------

    def update(self, kind: Kind, object_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef:
        """PATCH {collection}/{id} with ``If-Match: <etag>`` exactly as given (no read first).

        If-Match makes the PATCH safe to retry. When a retry follows an attempt whose response
        was lost and the server then answers 412, the lost attempt may have been applied: one GET
        checks. If the object was last written by this client since the attempt began and shows
        every visible value of ``ops``, the change is ours and its etag is returned (secret
        values cannot be read back; the writer and time stand for them). Otherwise
        :class:`PreconditionFailedError` with ``maybe_applied=True`` and the current etag.
        """
        from .session import CallStats

        if not isinstance(etag, str) or not etag:
            raise ValueError("etag must be a non-empty string")
        op_list = [dict(op) for op in ops]
        if not op_list:
            raise ValueError("ops must contain at least one JSON Patch operation")
        path = f"{kind.path}/{_segment(object_id, f'{kind.noun} id')}"
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
                current = self._get_item(kind, object_id, deadline)
            except FlowServiceError:
                raise err from None
            current_etag = current.get("etag")
            err.current_etag = current_etag if isinstance(current_etag, str) else None
            if err.current_etag and self._shows_our_change(kind, current, op_list, started):
                log.info("PATCH %s: the answer was lost but the change is in place (etag %s)", path, err.current_etag)
                return ObjectRef(object_id, err.current_etag)
            raise
        return self._ref_from_write(kind, resp, "PATCH", path, object_id, deadline)

    def _shows_our_change(self, kind: Kind, record: Mapping[str, Any], ops: Sequence[Mapping[str, Any]],
                          started: float) -> bool:
        """Was ``record`` last written by this client since ``started``, with every visible value of ``ops``?"""
        if not platform.is_client(record.get("updatedClient"), self.config.client_id):
            return False
        updated = record.get("updatedAt")
        if not isinstance(updated, int | float) or updated < (started - self.clock_skew) * 1000:
            return False
        for op in ops:
            target = _op_target(record, str(op.get("path", "")), kind)
            if target is None:  # a secret (masked on read) or a path we cannot see: the writer vouches
                continue
            present, value = target
            if str(op.get("op", "")).lower() == "remove":
                if present and value not in (None, ""):
                    return False
            elif not present or not _same(value, op.get("value")):
                return False
        return True

    def act(self, kind: Kind, object_id: str, op: str) -> ObjectRef:
        """POST {collection}/{id}/action?op=... (a flow's enable or disable); the new etag.

        Sent without If-Match, as Adobe's docs do: enabling an enabled flow changes nothing, so
        the call is safe to retry.
        """
        path = f"{kind.path}/{_segment(object_id, f'{kind.noun} id')}/action"
        session = self.session
        deadline = session.new_deadline()
        resp = session.request("POST", path, params={"op": op}, deadline=deadline, idempotent=True)
        return self._ref_from_write(kind, resp, "POST", path, object_id, deadline)

    # -- delete ---------------------------------------------------------------------------

    def delete(self, kind: Kind, object_id: str) -> bool:
        """DELETE {collection}/{id}; ``False`` if it was already gone (404), so deletes converge."""
        from .session import CallStats

        path = f"{kind.path}/{_segment(object_id, f'{kind.noun} id')}"
        stats: CallStats = CallStats()
        try:
            self.session.request("DELETE", path, stats=stats)
        except NotFoundError:
            # After a lost response the 404 is most likely our own earlier attempt's doing.
            return stats.ambiguous
        return True

    # -- list -----------------------------------------------------------------------------

    def list_objects(self, kind: Kind, properties: Iterable[str] = (), orderby: str | None = None,
                     limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every object matching ``property`` filters (ANDed), following continuation pages.

        ``limit`` is the page size sent to the server, not a cap on what the iterator yields.
        Each page is one request with its own deadline; pages are fetched lazily.
        """
        return self._iter(kind, list(properties), orderby, limit, None)

    def _iter(
        self, kind: Kind, properties: list[str], orderby: str | None, limit: int | None, deadline: float | None
    ) -> Iterator[dict[str, Any]]:
        params: list[tuple[str, str]] = [("property", str(p)) for p in properties]
        if orderby:
            params.append(("orderby", orderby))
        if limit is not None:
            params.append(("limit", str(int(limit))))
        seen: set[tuple[tuple[str, str], ...]] = set()
        while True:
            resp = self.session.request("GET", kind.path, params=params, deadline=deadline)
            doc = _json(resp, "GET", kind.path)
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

    def count(self, kind: Kind, properties: Iterable[str] = ()) -> int:
        """GET {collection}?count=true (``limit`` must not be combined with it: error 1401)."""
        params = [("property", str(p)) for p in properties] + [("count", "true")]
        resp = self.session.request("GET", kind.path, params=params)
        doc = _json(resp, "GET", kind.path)
        if isinstance(doc, Mapping):
            if isinstance(doc.get("count"), int):
                return int(doc["count"])
            items = doc.get("items")
            if items and isinstance(items[0], Mapping) and isinstance(items[0].get("count"), int):
                return int(items[0]["count"])
        raise FlowServiceError(resp.status_code, None, "Invalid response", "no count in the response",
                               method="GET", path=kind.path)

    # -- runs, explore, specs -------------------------------------------------------------

    def list_runs(self, flow_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The most recent runs of a flow (newest first), one page: ``GET /runs?property=flowId==<id>``."""
        params = [("property", f"flowId=={flow_id}"), ("orderby", "-createdAt"), ("limit", str(int(limit)))]
        resp = self.session.request("GET", "/runs", params=params)
        doc = _json(resp, "GET", "/runs")
        items = doc.get("items") if isinstance(doc, Mapping) else None
        return [item for item in items or [] if isinstance(item, dict)][:limit]

    def start_run(self, flow_id: str, start: int, window_start: int, window_end: int) -> str:
        """``POST /runs``: an on-demand run of a ``once`` flow taking the files modified in the window
        (epoch seconds); the run's id. Not retried once sent (a second run would ingest twice)."""
        body = {"flowId": flow_id, "params": {"startTime": start, "windowStartTime": window_start,
                                              "windowEndTime": window_end}}
        doc = _json(self.session.request("POST", "/runs", json_body=body), "POST", "/runs")
        items = doc.get("items") if isinstance(doc, Mapping) else None
        found = items[0] if isinstance(items, list) and items and isinstance(items[0], Mapping) else doc
        return str(found["id"])

    def explore(self, connection_id: str, object_type: str, obj: str | None = None,
                preview: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """``GET /connections/{id}/explore``: a folder's entries, or with ``preview`` a file's columns.

        Adobe answers a bare array; a preview may instead come as ``{"schema": {"columns": [...]}}``
        (the connection spec's exploreSpec): both are returned as the list of entries or columns.
        """
        path = f"/connections/{_segment(connection_id, 'connection id')}/explore"
        params: dict[str, str] = {"objectType": object_type}
        if obj is not None:
            params["object"] = obj
        if preview is not None:
            params |= {"preview": "true", **preview}
        doc = _json(self.session.request("GET", path, params=params), "GET", path)
        if isinstance(doc, Mapping):
            schema = doc.get("schema")
            doc = schema.get("columns") if isinstance(schema, Mapping) else doc.get("items")
        return [item for item in doc or [] if isinstance(item, dict)] if isinstance(doc, list) else []

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

    # -- base connections, by their long-standing names ----------------------------------

    def create_connection(self, body: Mapping[str, Any]) -> ObjectRef:
        return self.create(CONNECTIONS, body)

    def get_connection(self, connection_id: str) -> dict[str, Any]:
        return self.get(CONNECTIONS, connection_id)

    def update_connection(self, connection_id: str, etag: str, ops: Sequence[Mapping[str, Any]]) -> ObjectRef:
        return self.update(CONNECTIONS, connection_id, etag, ops)

    def delete_connection(self, connection_id: str) -> bool:
        return self.delete(CONNECTIONS, connection_id)

    def list_connections(
        self, properties: Iterable[str] = (), orderby: str | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.list_objects(CONNECTIONS, properties, orderby, limit)

    def count_connections(self, properties: Iterable[str] = ()) -> int:
        return self.count(CONNECTIONS, properties)

    def enable_flow(self, flow_id: str, enabled: bool) -> ObjectRef:
        return self.act(FLOWS, flow_id, "enable" if enabled else "disable")


def _same(read: Any, sent: Any) -> bool:
    """A value read back equals the one sent, allowing Adobe's strings for numbers and booleans."""
    if read == sent:
        return True
    if isinstance(sent, bool) or isinstance(sent, int):
        return str(read).lower() == str(sent).lower()
    return False
