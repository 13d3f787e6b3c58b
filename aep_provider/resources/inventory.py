"""The objects of one kind a sandbox already holds, listed once per provider process.

Why it exists: a create whose answer never reached Terraform's state (Ctrl-C of cdktf, a kill of
terraform or of the provider, a lost answer) leaves an object in AEP that the next deploy would
create again. Names are unique per sandbox and kind (the project's invariant, checked at synth),
so before creating, the provider looks the name up here: an object this client created is
adopted, any other is refused with its id and how to import it. One listing serves every create
of a plan or an apply, so the cost is one list call per kind however many are created.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

_GONE_STATES = frozenset({"delete-finalizing", "deleted"})


class Inventory:
    """Objects of one kind in one sandbox, by name; thread-safe, listed on first use."""

    def __init__(self, listing: Callable[[], Iterable[dict[str, Any]]]) -> None:
        self._listing = listing
        self._lock = threading.Lock()
        self._by_name: dict[str, list[dict[str, Any]]] | None = None
        self._failure: Exception | None = None
        self._created: set[str] = set()
        self._leaving: set[str] = set()
        self.list_calls = 0

    def _load(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            if self._failure is not None:
                raise self._failure  # one call per process, even when it failed
            if self._by_name is None:
                self.list_calls += 1
                try:
                    items = list(self._listing())
                except Exception as exc:
                    self._failure = exc
                    raise
                by_name: dict[str, list[dict[str, Any]]] = {}
                for item in items:
                    if isinstance(item.get("name"), str) and item.get("state") not in _GONE_STATES:
                        by_name.setdefault(item["name"], []).append(item)
                self._by_name = by_name
            return self._by_name

    def leaving(self, object_id: str) -> None:
        """``object_id`` is being deleted or replaced by this process: a create of its name comes
        after its delete (Terraform's order), so it is not in the way. Costs no listing."""
        with self._lock:
            self._leaving.add(object_id)

    def _present(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [item for item in items if item.get("id") not in self._leaving]

    def named(self, name: str) -> list[dict[str, Any]]:
        """Objects called ``name`` when the sandbox was listed (a copy of the list)."""
        found = self._load().get(name, [])
        with self._lock:
            return self._present(found)

    def claim(self, name: str) -> list[dict[str, Any]]:
        """Take the objects called ``name`` out of the inventory, so no second create sees them;
        an empty list (nothing there) marks the name as about to be created by this process."""
        by_name = self._load()
        with self._lock:
            found = self._present(by_name.pop(name, []))
            if not found:
                if name in self._created:
                    raise DuplicateNameError(name)
                self._created.add(name)
            return found


class DuplicateNameError(Exception):
    """Two resources of one apply create objects of one kind with the same name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"another resource of this configuration already creates one named {name!r}")
