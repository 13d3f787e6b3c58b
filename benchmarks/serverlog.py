"""What the server saw during one step: calls per kind, failures, and how many overlapped.

Read from the local AEP's request log (``/__local/requests``), reset before each step,
so the figures do not depend on what the client says it did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: Kinds of calls, in table order: GET is one connection (a refresh), LIST the collection.
KINDS = ("POST", "GET", "LIST", "PATCH", "DELETE", "IMS")
FLOW_PREFIX = "/data/foundation/flowservice/"
IMS_PREFIX = "/ims/"


def kind_of(entry: Mapping[str, Any]) -> str:
    """POST, GET, LIST, PATCH, DELETE or IMS for the connection routes and IMS; OTHER for the rest."""
    path, method, template = str(entry.get("path", "")), entry.get("method"), entry.get("template")
    if path.startswith(IMS_PREFIX):
        return "IMS"
    if template == "/connections":
        return {"GET": "LIST", "POST": "POST"}.get(str(method), "OTHER")
    if template == "/connections/{id}" and method in ("GET", "PATCH", "DELETE"):
        return str(method)
    return "OTHER"


def calls_per_kind(entries: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts per kind; every kind of :data:`KINDS` is present (0 when none), OTHER only when seen."""
    counts = dict.fromkeys(KINDS, 0)
    for entry in entries:
        key = kind_of(entry)
        counts[key] = counts.get(key, 0) + 1
    return counts


def failures(entries: Iterable[Mapping[str, Any]]) -> int:
    """Answers that were not a success (status >= 400, or a dropped connection)."""
    return sum(1 for e in entries if not isinstance(e.get("status"), int) or e["status"] >= 400)


def peak_in_flight(entries: Iterable[Mapping[str, Any]]) -> int:
    """Most Flow Service requests being served at one moment (IMS not counted).

    A sweep over each request's [started_at, ended_at]; a request ending exactly when another
    starts does not overlap it.
    """
    events: list[tuple[float, int]] = []
    for entry in entries:
        if not str(entry.get("path", "")).startswith(FLOW_PREFIX):
            continue
        events.append((float(entry["started_at"]), 1))
        events.append((float(entry["ended_at"]), -1))
    events.sort()  # at equal times -1 sorts first: an end before a start
    peak = current = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def summarize(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"calls": calls_per_kind(entries), "failed": failures(entries), "peak_in_flight": peak_in_flight(entries)}
