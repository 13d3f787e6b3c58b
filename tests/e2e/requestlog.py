"""Reading the local AEP's request log: what the end-to-end tests count."""

from __future__ import annotations

from aep_local.testing import LocalAep

CONNECTIONS = "/data/foundation/flowservice/connections"
WRITES = ("POST", "PATCH", "PUT", "DELETE")


def calls(server: LocalAep, method: str, prefix: str = CONNECTIONS) -> list[dict]:
    return [r for r in server.requests() if r["method"] == method and r["path"].startswith(prefix)]


def writes(server: LocalAep) -> list[dict]:
    return [r for r in server.requests() if r["method"] in WRITES and r["path"].startswith(CONNECTIONS)]


def write_methods(server: LocalAep) -> list[str]:
    return [r["method"] for r in writes(server)]


def api_calls(server: LocalAep) -> dict[str, int]:
    """Calls per kind since the last reset: the figures the issue budgets (IMS, GET, writes)."""
    counts: dict[str, int] = {}
    for r in server.requests():
        if r["path"].startswith("/ims/token"):
            key = "IMS"
        elif r["path"].startswith(CONNECTIONS):
            key = r["method"]
        else:
            continue
        counts[key] = counts.get(key, 0) + 1
    return counts
