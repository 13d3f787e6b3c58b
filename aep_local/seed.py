"""The objects a team declares as existing (made in AEP beforehand): XDM schemas and field groups,
datasets and mapping sets per sandbox, loaded into the Schema Registry, Catalog and Data Prep at
start.

Every org sees them in their sandbox, as if made there (`core.documents`: the first write to one
copies it into the store). The default seed (`seed/catalog.json`) covers the sandboxes dev, stage
and prod with the ids the project's example uses; `--catalog FILE` loads another file of the
same shape, and `POST /__local/catalog` adds entries while the server runs (in memory: a restart
goes back to the file, under whatever the services stored).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from aep_spec import ingestion, rules

from .core.app import LocalTool, local_body
from .core.http import Request, Response

KINDS = ("schemas", "fieldGroups", "datasets", "mappingSets")
Build = Callable[[str, Any], dict[str, Any]]   # (sandbox, entry or a mapping set's versions) -> document


class Seed:
    """Per sandbox: schemas and field groups by `$id`, datasets by id, mapping sets by (id, version)."""

    def __init__(self, document: Mapping[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._sandboxes: dict[str, dict[str, dict[Any, dict[str, Any]]]] = {}
        self._generation = 0
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

    # --- what the services see -------------------------------------------------------------

    def seeded(self, kind: str, build: Build) -> Callable[[str], dict[str, dict[str, Any]]]:
        """The documents of one kind in a sandbox, as `build` makes them from the entries (a mapping
        set's entries come as the list of its versions); made once per sandbox until `add`."""
        cache: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}

        def documents(sandbox: str) -> dict[str, dict[str, Any]]:
            with self._lock:
                key = (sandbox, self._generation)
                if key not in cache:
                    entries = self._sandboxes.get(sandbox, {}).get(kind, {})
                    if kind == "mappingSets":
                        grouped: dict[str, list[dict[str, Any]]] = {}
                        for (set_id, _), entry in sorted(entries.items()):
                            grouped.setdefault(set_id, []).append(copy.deepcopy(entry))
                        cache[key] = {set_id: build(sandbox, group) for set_id, group in grouped.items()}
                    else:
                        cache[key] = {key_id: build(sandbox, copy.deepcopy(e)) for key_id, e in entries.items()}
                return cache[key]
        return documents

    def snapshot(self) -> dict[str, Any]:
        """The whole seed in its file's shape."""
        with self._lock:
            return {"sandboxes": {name: {kind: [copy.deepcopy(e) for e in entries.get(kind, {}).values()]
                                         for kind in KINDS}
                                  for name, entries in sorted(self._sandboxes.items())}}

    # --- changes -------------------------------------------------------------------------

    def add(self, document: Mapping[str, Any]) -> None:
        """Merge `{"sandboxes": {name: {"schemas": [...], "fieldGroups": [...], "datasets": [...],
        "mappingSets": [...]}}}`.

        Everything is checked first (ids' shapes, references to schemas of the same sandbox), so a
        bad document changes nothing; an entry with a known id (and version) replaces the old one.
        """
        sandboxes = document.get("sandboxes") if isinstance(document, Mapping) else None
        if not isinstance(sandboxes, Mapping):
            raise ValueError('a catalog is {"sandboxes": {"<name>": {"schemas": [...], "fieldGroups": [...], '
                             '"datasets": [...], "mappingSets": [...]}}}')
        with self._lock:
            merged = copy.deepcopy(self._sandboxes)
            for name, entries in sandboxes.items():
                if not isinstance(entries, Mapping) or set(entries) - set(KINDS):
                    raise ValueError(f"sandbox {name!r}: expected an object with {', '.join(KINDS)}")
                target = merged.setdefault(str(name), {})
                for kind in KINDS:
                    target.setdefault(kind, {})
                    items = entries.get(kind, [])
                    if not isinstance(items, list):
                        raise ValueError(f"sandbox {name!r}: {kind} must be a list")
                    for item in items:
                        key = _key(kind, item, f"sandbox {name!r}, {kind}")
                        target[kind][key] = copy.deepcopy(dict(item))
                _check_references(str(name), target)
            self._sandboxes = merged
            self._generation += 1


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
    elif kind == "fieldGroups":
        problems = [] if isinstance(item.get("$id"), str) and str(item["$id"]).startswith("https://ns.adobe.com/") \
            else [rules.RuleViolation("$id", "must be an https://ns.adobe.com/… field group $id")]
        key = item.get("$id")
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
