"""What Flow Service asks the other services: the Catalog dataset a target writes to, the registry
schema it follows, the Data Prep mapping set a flow applies, and, for a run, the mapper to apply
and where its batch lands. Flow Service knows them only through this interface (wired in
`aep_local.platform`), inside its own transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..core.gateway import Caller
from ..core.store import Tx


class RowMapper(Protocol):
    def apply(self, row: Mapping[str, Any]) -> dict[str, Any]: ...


class References(Protocol):
    def dataset(self, tx: Tx, caller: Caller, dataset_id: str) -> Mapping[str, Any] | None:
        """The dataset (with its `schemaRef`), or None when the sandbox has none of that id."""

    def schema(self, tx: Tx, caller: Caller, schema_id: str) -> Mapping[str, Any] | None:
        """The schema (with its `version`), or None."""

    def mapping_set(self, tx: Tx, caller: Caller, set_id: str, version: int) -> Mapping[str, Any] | None:
        """One version of a mapping set, or None."""

    def mapping_versions(self, tx: Tx, caller: Caller, set_id: str) -> list[int]:
        """The versions a mapping set has (empty when there is no such set)."""

    def mapper(self, tx: Tx, caller: Caller, set_id: str, version: int) -> RowMapper | None:
        """What a run applies to each row, or None when the set is gone."""

    def land(self, tx: Tx, caller: Caller, dataset_id: str, run: Mapping[str, Any],
             records: list[dict[str, Any]], data_format: str) -> str | None:
        """Write a finished run's good records into its dataset as one batch; the batch id (None when
        the dataset is gone)."""


def schema_of(entry: Mapping[str, Any]) -> str | None:
    """The schema `$id` a dataset (`schemaRef`) or a mapping set (`outputSchema.schemaRef`) names."""
    ref = entry.get("schemaRef") or (entry.get("outputSchema") or {}).get("schemaRef") or {}
    value = ref.get("id") if isinstance(ref, Mapping) else None
    return value if isinstance(value, str) else None
