"""What the provider's lifecycle asks of a kind of object in Schema Registry, Catalog or Data Prep.

The lifecycle (``aep_provider.resources.flow_object``) speaks Flow Service's vocabulary: ``create``
a body, ``get``/``update``/``delete`` by id, ``list_objects``, records with ``id``, ``name``,
``etag``, ``createdAt`` and ``createdClient``. Each other service says the same things its own
way (a title for a name, a version for an etag, a dataset keyed by its id, a PUT for a change), so
its client answers in that vocabulary: :func:`record` turns what it read into one, and every
client here keeps one request per operation where the service allows it.

A create whose answer is lost is never sent again blindly: each client finds what it made by the
key that kind has (a schema's title, a dataset's private tag, a mapping set's name and time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .client import ObjectRef
from .errors import AmbiguousCreateError, FlowServiceError, OutcomeUnknownError

if TYPE_CHECKING:
    from .errors import Endpoint
    from .session import FlowServiceSession

log = logging.getLogger("aep_client")


def record(object_id: Any, name: Any, version: Any, created_ms: Any, created_client: Any, raw: Mapping[str, Any],
           description: Any = None, updated_ms: Any = None) -> dict[str, Any]:
    """A record in the lifecycle's words, the service's own document under ``raw``."""
    return {"id": str(object_id) if object_id is not None else None, "name": name,
            "etag": str(version) if version is not None else None, "description": description,
            "createdAt": created_ms, "updatedAt": updated_ms, "createdClient": created_client, "raw": dict(raw)}


class ServiceClient:
    """One service of the platform over the shared session (token, retries, in-flight slots)."""

    def __init__(self, session: FlowServiceSession, endpoint: Endpoint) -> None:
        self.session = session
        self.endpoint = endpoint

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; the decoded JSON answer (None for an empty body)."""
        resp = self.session.request(method, path, endpoint=self.endpoint, **kwargs)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise FlowServiceError(resp.status_code, None, "Invalid response", "the response body is not JSON",
                                   method=method, path=path) from None

    def deleted(self, path: str) -> bool:
        """DELETE ``path``; ``False`` when it was already gone (404), so deletes converge."""
        from .errors import NotFoundError

        try:
            self.call("DELETE", path)
        except NotFoundError:
            return False
        return True

    def created(self, what: str, post: Callable[[], ObjectRef],
                find: Callable[[], list[dict[str, Any]]]) -> ObjectRef:
        """``post()``; when its answer is lost, what ``find()`` sees of it: one object is ours, none
        or several cannot be told apart (the create is not sent again: the next deploy adopts)."""
        try:
            return post()
        except OutcomeUnknownError as lost:
            log.warning("create of %s: outcome unknown (%s); looking for it", what, lost.title)
            try:
                found = find()
            except FlowServiceError:
                found = []
            if len(found) == 1 and found[0].get("id"):
                return ObjectRef(str(found[0]["id"]), str(found[0].get("etag") or ""), adopted=True)
            raise AmbiguousCreateError(lost.status, lost.code, None, (
                f"no answer to the create of {what}, and {len(found)} object(s) match it; the next deploy adopts "
                "the one this state began to create"), lost.request_id, cause=lost, method=lost.method, path=lost.path,
                service=lost.service) from None

    def pages(self, path: str, params: dict[str, str], items: Callable[[Any], list[Any]],
              page_size: int) -> Iterator[Any]:
        """Every item of an offset-paged list (``start``/``limit``)."""
        start = 0
        while True:
            doc = self.call("GET", path, params={**params, "start": str(start), "limit": str(page_size)})
            batch = items(doc)
            yield from batch
            if len(batch) < page_size:
                return
            start += page_size
