"""Catalog's refusals. Adobe documents no Catalog error body: the local AEP answers the Platform's
problem shape with `CAT-<code>-<status>` and codes of its own: 1000 a malformed body or query,
1001 an unknown schema, 1002 a tag reserved to Adobe, 1003 a `schemaRef` change, 1404 not found,
1412 a stale `If-Match`."""

from __future__ import annotations

from ..core.errors import Refusal, problem_renderer
from ..core.errors import bad_request as bad_request

render = problem_renderer("https://ns.adobe.com/aep/errors/CAT-{code}-{status}")


def unknown_schema(schema_id: object, sandbox: str) -> Refusal:
    return Refusal("1001", 400, f"schemaRef.id '{schema_id}' names no schema of the sandbox '{sandbox}'.",
                   title="Bad Request")


def reserved_tags(detail: str) -> Refusal:
    return Refusal("1002", 400, f"Tags refused: {detail}", title="Bad Request")


def schema_fixed(dataset_id: str) -> Refusal:
    return Refusal("1003", 400, f"The schemaRef of dataset {dataset_id} cannot change: create another dataset.",
                   title="Bad Request")


def not_found(kind: str, object_id: str) -> Refusal:
    return Refusal("1404", 404, f"No {kind} with id '{object_id}' exists.", title="Not Found")


def stale(dataset_id: str, sent: str, current: str) -> Refusal:
    return Refusal("1412", 412, f"If-Match '{sent}' does not match the version '{current}' of dataset "
                   f"{dataset_id}.", title="Precondition Failed")
