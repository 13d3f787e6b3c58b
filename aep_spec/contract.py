"""The response contract (``contract.json`` beside this module): which body shape each Flow
Service operation answers with (and, under ``services``, each Schema Registry, Catalog and Data Prep
operation), and checks of a response against it.

The file is part of the package: a missing or unreadable contract raises, it never turns a check
into a pass. ``jsonschema`` is imported on first check only (the provider never loads this).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["Contract", "Operation", "ServiceContract", "load"]

_PARAM = re.compile(r"\{[^/{}]+\}")


@dataclass(frozen=True)
class Operation:
    """One documented operation; ``responses`` maps a status to a definition name (None: no body)."""

    method: str
    path: str
    query: Mapping[str, str]
    responses: Mapping[str, str | None]

    def matches(self, method: str, path: str, query: Mapping[str, list[str]]) -> bool:
        if method.upper() != self.method:
            return False
        if not _route(self.path).fullmatch(path.rstrip("/") or "/"):
            return False
        return all(query.get(k) == [v] for k, v in self.query.items())


@dataclass(frozen=True)
class ServiceContract:
    """One service after Flow Service: its base path, its error shape, its operations."""

    name: str
    base_path: str
    error: str
    operations: tuple[Operation, ...]

    def operation(self, method: str, path: str, query: Mapping[str, list[str]] | None = None) -> Operation | None:
        """The first operation matching ``path`` (relative to this service's base path)."""
        return _first(self.operations, method, path, query)


def _operations(rows: Any) -> tuple[Operation, ...]:
    return tuple(Operation(op["method"], op["path"], op.get("query", {}), op["responses"]) for op in rows)


def _first(operations: tuple[Operation, ...], method: str, path: str,
           query: Mapping[str, list[str]] | None) -> Operation | None:
    return next((op for op in operations if op.matches(method, path, query or {})), None)


@cache
def _route(template: str) -> re.Pattern[str]:
    return re.compile(_PARAM.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")))


class Contract:
    """The parsed contract document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.base_path: str = document["base_path"]
        self.ims_token_path: str = document["ims_token_path"]
        self.errors: Mapping[str, str] = document["errors"]
        self.definitions: Mapping[str, Any] = document["definitions"]
        self.operations = _operations(document["operations"])
        self.services = tuple(ServiceContract(name, svc["base_path"], svc["error"], _operations(svc["operations"]))
                              for name, svc in document.get("services", {}).items() if not name.startswith("$"))
        for op in (*self.operations, *(o for svc in self.services for o in svc.operations)):
            for name in op.responses.values():
                if name is not None and name not in self.definitions:
                    raise ValueError(f"contract: {op.method} {op.path} names an undefined shape {name!r}")
        for svc in self.services:
            if svc.error not in self.definitions:
                raise ValueError(f"contract: the service {svc.name} names an undefined error shape {svc.error!r}")
        self._validators: dict[str, Any] = {}  # definition name -> its checked validator, built on first use

    def operation(self, method: str, path: str, query: Mapping[str, list[str]] | None = None) -> Operation | None:
        """The first operation matching ``path`` (relative to the base path); query-specific ones come first."""
        return _first(self.operations, method, path, query)

    def service(self, path: str) -> tuple[ServiceContract, str] | None:
        """The service whose base path ``path`` (absolute) lies under, and the path relative to it."""
        for svc in self.services:
            if path == svc.base_path or path.startswith(svc.base_path + "/"):
                return svc, path[len(svc.base_path):]
        return None

    def schema(self, name: str) -> dict[str, Any]:
        """A self-contained JSON Schema for the definition ``name`` (its ``$ref``s resolve)."""
        if name not in self.definitions:
            raise KeyError(f"contract has no definition {name!r}")
        return {"definitions": self.definitions, "$ref": f"#/definitions/{name}"}

    def problems(self, name: str, instance: Any) -> list[str]:
        """Every way ``instance`` breaks the shape ``name``; empty when it conforms."""
        validator = self._validators.get(name)
        if validator is None:
            validator = self._validators[name] = _validator(self.schema(name))
        return [_describe(e) for e in validator.iter_errors(instance)]

    def check(self, method: str, path: str, status: int, body: Any,
              query: Mapping[str, list[str]] | None = None, service: str | None = None) -> list[str]:
        """Every way ``body`` (parsed JSON; None for no body) breaks what the contract says
        ``method path`` answers with ``status``, each message naming the operation and the member.
        ``path`` is relative to Flow Service's base path, or to ``service``'s when one is named.

        Raises ``LookupError`` when the contract has no such operation.
        """
        owner = next((s for s in self.services if s.name == service), None) if service else None
        operation = owner.operation(method, path, query) if owner else self.operation(method, path, query)
        if operation is None:
            raise LookupError(f"contract: no operation {method.upper()} {path}")
        label = f"{operation.method} {operation.path} {status}"
        if str(status) not in operation.responses:
            return [f"{label}: the contract has no such answer"]
        shape = operation.responses[str(status)]
        if shape is None:
            return [] if body is None else [f"{label}: the contract says this answer has no body"]
        return [f"{label} ({shape}) {problem}" for problem in self.problems(shape, body)]


def _describe(error: Any) -> str:
    """``member/path: what is wrong``; a body that fits none of a shape's documented forms (``anyOf``,
    ``oneOf``) says what each form found wrong, instead of repeating the whole body."""
    where = "/".join(map(str, error.absolute_path)) or "<body>"
    if error.context:
        return f"{where}: fits none of its documented forms ({'; '.join(_describe(e) for e in error.context)})"
    return f"{where}: {error.message}"


def _validator(schema: dict[str, Any]) -> Any:
    from jsonschema import Draft7Validator

    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@cache
def load() -> Contract:
    """The contract shipped with the package; raises if it is missing or malformed."""
    text = resources.files(__package__).joinpath("contract.json").read_text(encoding="utf-8")
    return Contract(json.loads(text))
