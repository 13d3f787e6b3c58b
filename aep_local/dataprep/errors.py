"""Data Prep's refusals. Adobe documents no error body for the mapping service: the local AEP
answers the Platform's problem shape with `MAPPER-<code>-<status>` and codes of its own: 1000 a
malformed body or query, 1001 an unknown output schema, 1002 a mapping whose destination is no
field of the output schema (`?validate=true`), 1003 a mapping the local AEP cannot take (its
source type, source or destination; an expression outside its subset), 1404 not found."""

from __future__ import annotations

from ..core.errors import Refusal, problem_renderer
from ..core.errors import bad_request as bad_request

render = problem_renderer("https://ns.adobe.com/aep/errors/MAPPER-{code}-{status}")


def unknown_schema(schema_id: object, sandbox: str) -> Refusal:
    return Refusal("1001", 400, f"The output schema '{schema_id}' is no schema of the sandbox '{sandbox}'.",
                   title="Bad Request")


def not_a_field(index: int, destination: str, schema_id: str) -> Refusal:
    return Refusal("1002", 400, f"mappings[{index}]: the destination '{destination}' is no field of the output "
                   f"schema {schema_id}.", title="Invalid mapping")


def invalid_mapping(detail: str) -> Refusal:
    return Refusal("1003", 400, detail, title="Invalid mapping")


def not_found(mapping_set_id: str, version: int | None = None) -> Refusal:
    which = f"version {version} of " if version is not None else ""
    return Refusal("1404", 404, f"There is no {which}mapping set '{mapping_set_id}'.", title="Not Found")
