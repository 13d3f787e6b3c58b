"""A tiny provider for end-to-end tests of the protocol layer: ``testkv_item`` rows in a JSON file.

It exercises what the real provider relies on: a computed attribute that must be unknown in
every update plan (``revision``, like an etag), a write-only secret with its version trigger,
a replacement trigger (``key``), and collection types. The ``testkv_lookup`` data source finds
rows by key or id and answers a list of objects and a map. When ``TESTKV_OBSERVE`` names a
file, each handler call appends one JSON line saying whether the write-only value was present
in ``config`` (never the value itself), so tests can report what Terraform sends where.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from aep_provider.protocol.resource import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    DataSourceHandler,
    Diagnostic,
    PlanResult,
    ProviderHandler,
    ReadResult,
    ResourceHandler,
    Schema,
    Value,
    error,
)

_LOCK = threading.Lock()
_INPUTS = ("key", "value", "note", "tags", "ports", "secret_wo_version")


def _observe(rpc: str, config: dict[str, Value] | None, **extra: Any) -> None:
    target = os.environ.get("TESTKV_OBSERVE")
    if not target:
        return
    secret = None if config is None else config.get("secret_wo")
    seen = "null" if secret is None else "unknown" if secret is UNKNOWN else "present"
    with _LOCK, open(target, "a") as out:
        out.write(json.dumps({"rpc": rpc, "secret_wo": seen, **extra}) + "\n")


class Item(ResourceHandler):
    type_name = "testkv_item"
    schema = Schema(
        version=1,
        attributes=(
            Attribute("id", "string", computed=True),
            Attribute("key", "string", required=True, description="Changing it replaces the item."),
            Attribute("value", "string", required=True),
            Attribute("note", "string", optional=True),
            Attribute("tags", ["map", "string"], optional=True),
            Attribute("ports", ["list", "number"], optional=True),
            Attribute("secret_wo", "string", optional=True, sensitive=True, write_only=True),
            Attribute("secret_wo_version", "number", optional=True),
            Attribute("revision", "number", computed=True),
        ),
    )

    def __init__(self, provider: KVProvider) -> None:
        self.provider = provider

    # storage
    def _save(self, data: dict[str, Any]) -> None:
        self.provider.path.write_text(json.dumps(data, indent=1, sort_keys=True))

    # lifecycle
    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        _observe("validate", config)
        if config.get("value") == "invalid":
            return [Diagnostic("error", "value must not be 'invalid'", "Pick another value.", ("value",))]
        return []

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        _observe("plan", config, create=prior is None, proposed_secret=proposed.get("secret_wo") is not None)
        planned = dict(proposed)
        if prior is None:
            planned["id"] = UNKNOWN
            planned["revision"] = UNKNOWN
            return PlanResult(planned)
        replace = [("key",)] if proposed["key"] != prior["key"] else []
        if replace:
            planned["id"] = UNKNOWN
        if any(proposed[name] != prior[name] for name in _INPUTS):
            planned["revision"] = UNKNOWN
        return PlanResult(planned, requires_replace=replace)

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        _observe("create", config)
        with _LOCK:
            data = self.provider.load()
            item_id = uuid.uuid4().hex[:12]
            data[item_id] = self._row(planned, config, revision=1)
            self._save(data)
        return ApplyResult(self._state(item_id, data[item_id]))

    def read(self, state: dict[str, Value]) -> ReadResult:
        row = self.provider.load().get(state["id"])
        return ReadResult(None if row is None else self._state(state["id"], row))

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        _observe("update", config)
        with _LOCK:
            data = self.provider.load()
            if prior["id"] not in data:
                raise error("Item vanished", "It was deleted outside Terraform.", ("id",))
            old = data[prior["id"]]
            row = self._row(planned, config, revision=old["revision"] + 1)
            if config.get("secret_wo") is None:
                row["secret"] = old.get("secret")
            data[prior["id"]] = row
            self._save(data)
        return ApplyResult(self._state(prior["id"], row))

    def delete(self, state: dict[str, Value]) -> None:
        with _LOCK:
            data = self.provider.load()
            data.pop(state["id"], None)
            self._save(data)

    def import_(self, import_id: str) -> dict[str, Value]:
        return {"id": import_id}

    # helpers
    @staticmethod
    def _row(planned: dict[str, Value], config: dict[str, Value], revision: int) -> dict[str, Any]:
        row = {name: planned[name] for name in _INPUTS}
        row["secret"] = config.get("secret_wo")  # kept outside Terraform's state on purpose
        row["revision"] = revision
        return row

    @staticmethod
    def _state(item_id: str, row: dict[str, Any]) -> dict[str, Value]:
        state = {name: row.get(name) for name in _INPUTS}
        state.update(id=item_id, revision=row["revision"])
        return state


_FOUND = ["object", {"id": "string", "key": "string", "value": "string", "revision": "number", "found": "bool"}]


class Lookup(DataSourceHandler):
    type_name = "testkv_lookup"
    schema = Schema(
        attributes=(
            Attribute("keys", ["list", "string"], optional=True, description="Items to find by key."),
            Attribute("ids", ["list", "string"], optional=True, description="Items to find by id."),
            Attribute("items", ["list", _FOUND], computed=True, description="One per key, then one per id."),
            Attribute("values", ["map", "string"], computed=True, description="Each found item's value by key."),
        ),
    )

    def __init__(self, provider: KVProvider) -> None:
        self.provider = provider

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        _observe("lookup_validate", config, unknown=_unknown(config))
        if config["keys"] is None and config["ids"] is None:
            return [Diagnostic("error", "Set keys or ids", "Say which items to look up.")]
        return []

    def read(self, config: dict[str, Value]) -> dict[str, Value]:
        keys, ids = config["keys"] or [], config["ids"] or []
        _observe("lookup", config, by_id=bool(ids), unknown=_unknown(config))
        if _unknown(config) or not isinstance(keys, list) or not isinstance(ids, list):
            raise error("Lookup needs known keys and ids", "Terraform should have waited for apply.")
        rows = self.provider.load()
        by_key = {row["key"]: item_id for item_id, row in rows.items()}
        wanted = [(by_key.get(k), "key", k) for k in keys] + [(i if i in rows else None, "id", i) for i in ids]
        items: list[Value] = []
        values: dict[str, Value] = {}
        for item_id, by, name in wanted:
            if item_id is None:
                items.append({by: name, "found": False})  # the other members: null, filled by the codec
                continue
            row = rows[item_id]
            items.append(
                {"id": item_id, "key": row["key"], "value": row["value"], "revision": row["revision"], "found": True}
            )
            values[row["key"]] = row["value"]
        return dict(config, items=items, values=values)


def _unknown(value: Value) -> bool:
    """Whether an UNKNOWN is anywhere in ``value``."""
    if isinstance(value, list):
        return any(_unknown(v) for v in value)
    if isinstance(value, dict):
        return any(_unknown(v) for v in value.values())
    return value is UNKNOWN


class KVProvider(ProviderHandler):
    type_name = "testkv"
    schema = Schema(attributes=(Attribute("path", "string", required=True, description="The JSON data file."),))

    def __init__(self) -> None:
        self.path = Path("testkv.json")

    def configure(self, config: dict[str, Value]) -> list[Diagnostic]:
        self.path = Path(config["path"])
        return []

    def load(self) -> dict[str, Any]:
        """Every row by id; a missing file is an empty store."""
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def resources(self) -> dict[str, ResourceHandler]:
        return {Item.type_name: Item(self)}

    def data_sources(self) -> dict[str, DataSourceHandler]:
        return {Lookup.type_name: Lookup(self)}


def main() -> None:
    from aep_provider.protocol.plugin import serve

    serve(KVProvider())


if __name__ == "__main__":
    main()
