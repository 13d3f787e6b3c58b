"""A service's documents of one kind in one org and sandbox: the store's, over the seeded ones.

Objects a team declares as existing (the seed) are visible to every org in their sandbox without
being written anywhere; the first write to one copies it into the store for that org (and a delete
leaves a tombstone), so a seeded object then behaves like any other, and a restart brings back
the seed under whatever the store holds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from .gateway import Caller
from .store import Tx

TOMBSTONE = "__deleted__"
Seeded = Callable[[str], Mapping[str, dict[str, Any]]]   # sandbox -> {id: document}


class Documents:
    def __init__(self, kind: str, seeded: Seeded | None = None) -> None:
        self.kind = kind
        self._seeded: Seeded = seeded or (lambda sandbox: {})

    def get(self, tx: Tx, caller: Caller, doc_id: str) -> dict[str, Any] | None:
        stored = tx.document(self.kind, caller.org_id, caller.sandbox, doc_id)
        if stored is not None:
            return None if stored.get(TOMBSTONE) else stored
        seeded = self._seeded(caller.sandbox).get(doc_id)
        return copy.deepcopy(seeded) if seeded is not None else None

    def all(self, tx: Tx, caller: Caller) -> list[dict[str, Any]]:
        """Seeded documents first (unless changed or deleted), then the stored ones in creation order."""
        stored = tx.documents(self.kind, caller.org_id, caller.sandbox)
        seeded = [copy.deepcopy(doc) for key, doc in self._seeded(caller.sandbox).items() if key not in stored]
        return seeded + [doc for doc in stored.values() if not doc.get(TOMBSTONE)]

    def put(self, tx: Tx, caller: Caller, doc_id: str, doc: Mapping[str, Any]) -> None:
        tx.put_document(self.kind, caller.org_id, caller.sandbox, doc_id, doc)

    def delete(self, tx: Tx, caller: Caller, doc_id: str) -> None:
        if doc_id in self._seeded(caller.sandbox):
            tx.put_document(self.kind, caller.org_id, caller.sandbox, doc_id, {TOMBSTONE: True})
        else:
            tx.delete_document(self.kind, caller.org_id, caller.sandbox, doc_id)
