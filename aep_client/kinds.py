"""The kinds of object Flow Service keeps, and what differs between them for a client.

Every kind is created with a POST, read with a GET wrapped in ``items``, updated with a JSON
Patch and ``If-Match``, deleted with a DELETE, and listed with ``property`` filters: one set of
client code serves them all. A kind only says where it lives, which field names its spec (the
listing filter that finds a lost create again), and which of its values are secrets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aep_spec import s3


@dataclass(frozen=True)
class Kind:
    """One collection of Flow Service objects."""

    path: str  # "/connections"
    noun: str  # "connection", for messages
    spec_field: str = "connectionSpec"  # "flowSpec" for flows
    #: JSON Patch paths whose values are secrets: never compared after a lost answer, never logged.
    secret_paths: frozenset[str] = frozenset()
    #: Whether create bodies carry credentials under ``auth.params`` (redacted from any error).
    has_auth: bool = False


CONNECTIONS: Final = Kind("/connections", "connection", has_auth=True,
                          secret_paths=frozenset(f"/auth/params/{p}" for p in s3.SECRET_PARAMS))
SOURCE_CONNECTIONS: Final = Kind("/sourceConnections", "source connection")
TARGET_CONNECTIONS: Final = Kind("/targetConnections", "target connection")
FLOWS: Final = Kind("/flows", "dataflow", spec_field="flowSpec")

# The other services' kinds: what the provider's lifecycle manages there, by the same verbs.
FIELD_GROUPS: Final = Kind("/tenant/fieldgroups", "field group", spec_field="meta:intendedToExtend")
SCHEMAS: Final = Kind("/tenant/schemas", "XDM schema", spec_field="meta:class")
DATASETS: Final = Kind("/dataSets", "dataset", spec_field="schemaRef")
MAPPING_SETS: Final = Kind("/mappingSets", "mapping set", spec_field="outputSchema")
