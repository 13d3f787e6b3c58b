"""What Seed, the Schema Registry and Data Prep would answer Flow Service: the datasets, XDM
schemas and mapping sets of each sandbox.

Flow Service checks a target connection's dataset and schema, and a flow's mapping, against
those services; the emulator checks them against this seeded model instead. The default seed
(`seed/catalog.json`) covers the sandboxes dev, stage and prod with the ids the project's example
uses; `--catalog FILE` loads another file of the same shape, and `POST /__local/catalog` adds
entries while the server runs (in memory: a restart goes back to the file).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from aep_spec import ingestion, rules

from .core.app import LocalTool, local_body
from .core.http import Request, Response

KINDS = ("schemas", "datasets", "mappingSets")


class Seed:
    """Per sandbox: schemas by `$id`, datasets by id, mapping sets by (id, version)."""

    def __init__(self, document: Mapping[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._sandboxes: dict[str, dict[str, dict[Any, dict[str, Any]]]] = {}
        if document is not None:
            self.add(document)

    @classmethod
    def default(cls) -> Seed:
        text = resources.files(__package__).joinpath("seed/catalog.json").read_text(encoding="utf-8")
        return cls(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> Seed:
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read the catalog {path}: {exc}") from None

    # --- look-ups ------------------------------------------------------------------------

    def schema(self, sandbox: str, schema_id: str) -> dict[str, Any] | None:
        return self._get(sandbox, "schemas", schema_id)

    def dataset(self, sandbox: str, dataset_id: str) -> dict[str, Any] | None:
        return self._get(sandbox, "datasets", dataset_id)

    def mapping(self, sandbox: str, mapping_id: str, version: int) -> dict[str, Any] | None:
        return self._get(sandbox, "mappingSets", (mapping_id, version))

    def mapping_versions(self, sandbox: str, mapping_id: str) -> list[int]:
        with self._lock:
            keys = self._sandboxes.get(sandbox, {}).get("mappingSets", {})
            return sorted(version for (entry_id, version) in keys if entry_id == mapping_id)

    def snapshot(self) -> dict[str, Any]:
        """The whole catalog in its file's shape."""
        with self._lock:
            return {"sandboxes": {name: {kind: [copy.deepcopy(e) for e in entries.get(kind, {}).values()]
                                         for kind in KINDS}
                                  for name, entries in sorted(self._sandboxes.items())}}

    # --- changes -------------------------------------------------------------------------

    def add(self, document: Mapping[str, Any]) -> None:
        """Merge `{"sandboxes": {name: {"schemas": [...], "datasets": [...], "mappingSets": [...]}}}`.

        Everything is checked first (ids' shapes, references to schemas of the same sandbox), so a
        bad document changes nothing; an entry with a known id (and version) replaces the old one.
        """
        sandboxes = document.get("sandboxes") if isinstance(document, Mapping) else None
        if not isinstance(sandboxes, Mapping):
            raise ValueError('a catalog is {"sandboxes": {"<name>": {"schemas": [...], "datasets": [...], '
                             '"mappingSets": [...]}}}')
        with self._lock:
            merged = copy.deepcopy(self._sandboxes)
            for name, entries in sandboxes.items():
                if not isinstance(entries, Mapping) or set(entries) - set(KINDS):
                    raise ValueError(f"sandbox {name!r}: expected an object with {', '.join(KINDS)}")
                target = merged.setdefault(str(name), {kind: {} for kind in KINDS})
                for kind in KINDS:
                    items = entries.get(kind, [])
                    if not isinstance(items, list):
                        raise ValueError(f"sandbox {name!r}: {kind} must be a list")
                    for item in items:
                        key = _key(kind, item, f"sandbox {name!r}, {kind}")
                        target[kind][key] = copy.deepcopy(dict(item))
                _check_references(str(name), target)
            self._sandboxes = merged

    def _get(self, sandbox: str, kind: str, key: Any) -> dict[str, Any] | None:
        with self._lock:
            entry = self._sandboxes.get(sandbox, {}).get(kind, {}).get(key)
            return copy.deepcopy(entry) if entry is not None else None


def schema_of(entry: Mapping[str, Any]) -> str | None:
    """The schema `$id` a dataset (`schemaRef`) or a mapping set (`outputSchema.schemaRef`) names."""
    ref = entry.get("schemaRef") or (entry.get("outputSchema") or {}).get("schemaRef") or {}
    value = ref.get("id") if isinstance(ref, Mapping) else None
    return value if isinstance(value, str) else None


def _key(kind: str, item: Any, where: str) -> Any:
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: every entry must be an object")
    if kind == "schemas":
        problems = ingestion.check_schema_id(item.get("$id"), "$id")
        key: Any = item.get("$id")
    elif kind == "datasets":
        problems = ingestion.check_dataset_id(item.get("id"), "id")
        key = item.get("id")
    else:
        version = ingestion.as_int(item.get("version"))
        problems = ingestion.check_mapping(item.get("id"), item.get("version"), None, ("id", "version"))
        if version is None:
            problems.append(rules.RuleViolation("version", "is required"))
        key = (item.get("id"), version)
    if problems:
        raise ValueError(f"{where}: {'; '.join(str(p) for p in problems)}")
    return key


def _check_references(sandbox: str, entries: Mapping[str, Mapping[Any, Mapping[str, Any]]]) -> None:
    for kind in ("datasets", "mappingSets"):
        for key, item in entries[kind].items():
            schema_id = schema_of(item)
            if schema_id not in entries["schemas"]:
                raise ValueError(f"sandbox {sandbox!r}, {kind} {key}: its schema {schema_id!r} is not among "
                                 "the sandbox's schemas")


def seed_tool(seed: Seed) -> LocalTool:
    """`GET /__local/catalog` (the seed in its file's shape) and `POST` (merge a document of it)."""
    def tool(req: Request, name: str) -> Response | None:
        if name != "catalog":
            return None
        if req.method == "POST":
            seed.add(local_body(req))
        if req.method in ("GET", "POST"):
            return Response(200, seed.snapshot())
        return None
    return tool
