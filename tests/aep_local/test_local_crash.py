"""kill -9 in the middle of 200 parallel writes: no acknowledged write lost, nothing half-written.

Each worker thread owns its connections, so its writes to one connection are sequential: after
the crash a connection must hold the last acknowledged write, or the single write that was in
flight when the server died (committed, answer lost). Creates that were acknowledged must exist
with their etag; anything else in the database must be a seed or an attempted create.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import Draft7Validator

from aep_local.core.store import DB_NAME
from aep_local.flowservice import specs
from aep_local.testing import LocalAep
from tests.aep_local.local_helpers import s3_body

THREADS = 16
WRITES = 200
ETAG_RE = r'^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{8}0000"$'


@dataclass
class Outcome:
    """What the clients know: acknowledged writes and the writes whose answer never came."""

    acked_creates: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (id, etag)
    attempted_creates: set[str] = field(default_factory=set)
    # connection id -> (name acknowledged last, its etag), and the name in flight after it
    acked_patch: dict[str, tuple[str, str]] = field(default_factory=dict)
    in_flight_patch: dict[str, str] = field(default_factory=dict)
    acks: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _worker(index: int, svc_url: str, headers: dict[str, str], owned: dict[str, str],
            quota: int, out: Outcome, stop: threading.Event) -> None:
    rng = random.Random(index)
    etags = dict(owned)
    with requests.Session() as session:
        for n in range(quota):
            if stop.is_set():
                return
            if rng.random() < 0.4:
                name = f"crash-create-{index}-{n}"
                with out.lock:
                    out.attempted_creates.add(name)
                try:
                    resp = session.post(svc_url + "/connections", json=s3_body(name), headers=headers,
                                        timeout=10)
                except requests.RequestException:
                    return  # the server is gone; this write may or may not have landed
                if resp.status_code == 201:
                    with out.lock:
                        out.acked_creates[name] = (resp.json()["id"], resp.json()["etag"])
                        out.acks += 1
                continue
            conn_id = rng.choice(sorted(etags))
            name = f"crash-patch-{index}-{n}"
            with out.lock:
                out.in_flight_patch[conn_id] = name
            try:
                resp = session.patch(svc_url + f"/connections/{conn_id}", timeout=10,
                                     json=[{"op": "Replace", "path": "/name", "value": name},
                                           {"op": "add", "path": "/auth/params/s3SessionToken",
                                            "value": f"token-{name}"}],
                                     headers={**headers, "If-Match": etags[conn_id]})
            except requests.RequestException:
                return
            assert resp.status_code == 200, resp.text  # sole writer of this connection: never 412
            etags[conn_id] = resp.json()["etag"]
            with out.lock:
                out.acked_patch[conn_id] = (name, etags[conn_id])
                out.in_flight_patch.pop(conn_id, None)
                out.acks += 1


def _check_database(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Open the file as SQLite itself would after the crash: intact, every row a valid record."""
    db = sqlite3.connect(data_dir / DB_NAME)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, org, sandbox, doc, name, updated_at FROM connections").fetchall()
    finally:
        db.close()
    validator = Draft7Validator(specs.ACCESS_KEY_SCHEMA)
    records = {}
    for conn_id, org, sandbox, doc, name, updated_at in rows:
        record = json.loads(doc)
        assert record["id"] == conn_id and record["imsOrgId"] == org and record["sandboxName"] == sandbox
        assert (record["name"], record["updatedAt"]) == (name, updated_at)  # index columns agree
        assert record["etag"] == record["version"]
        assert re.match(ETAG_RE, record["etag"])
        assert record["updatedAt"] >= record["createdAt"]
        assert not list(validator.iter_errors(record["auth"]["params"]))
        records[conn_id] = record
    return records


@pytest.mark.parametrize("kill_after", [40, 120])
def test_kill_9_during_a_burst_of_parallel_writes(tmp_path: Path, kill_after: int) -> None:
    svc = LocalAep(data_dir=tmp_path / "data")
    svc.start()
    try:
        headers = svc.auth_headers()
        seeds: dict[str, str] = {}
        seed_names: dict[str, str] = {}
        for i in range(THREADS * 2):
            resp = requests.post(svc.flow_url + "/connections", json=s3_body(f"seed-{i}"),
                                 headers=headers, timeout=10)
            seeds[resp.json()["id"]] = resp.json()["etag"]
            seed_names[resp.json()["id"]] = f"seed-{i}"
        seed_ids = sorted(seeds)
        out = Outcome()
        stop = threading.Event()
        workers = [threading.Thread(target=_worker, args=(
            i, svc.flow_url, headers, {c: seeds[c] for c in seed_ids[i * 2:i * 2 + 2]},
            WRITES // THREADS + (1 if i < WRITES % THREADS else 0), out, stop)) for i in range(THREADS)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 30
        while out.acks < kill_after and time.monotonic() < deadline and any(w.is_alive() for w in workers):
            time.sleep(0.001)
        assert svc.proc is not None
        os.kill(svc.proc.pid, signal.SIGKILL)  # mid-burst: requests are in flight right now
        stop.set()
        for worker in workers:
            worker.join(30)
        svc.kill()  # reap
        assert kill_after <= out.acks < WRITES, "the kill did not land inside the burst"

        records = _check_database(svc.data_dir)
        svc.start()  # same data directory
        by_name = {r["name"]: r for r in records.values()}
        for name, (conn_id, etag) in out.acked_creates.items():
            assert records[conn_id]["name"] == name
            assert records[conn_id]["etag"] == etag
        for conn_id in seed_ids:
            rec = records[conn_id]
            acked = out.acked_patch.get(conn_id)
            allowed = {acked[0] if acked else seed_names[conn_id]}
            if conn_id in out.in_flight_patch:
                allowed.add(out.in_flight_patch[conn_id])
            assert rec["name"] in allowed, (conn_id, rec["name"], allowed)
            if acked and rec["name"] == acked[0]:
                assert rec["etag"] == acked[1]
        for name in by_name:
            assert name.startswith("seed-") or name in out.attempted_creates or name.startswith("crash-patch-")
        # the restarted server serves exactly the same state, secrets included
        for conn_id, rec in records.items():
            resp = requests.get(svc.flow_url + f"/connections/{conn_id}", headers=headers, timeout=10)
            assert resp.status_code == 200
            assert resp.json()["items"][0]["etag"] == rec["etag"]
        # and etags keep moving forward: a write after the restart gets a brand-new one
        seen = {r["etag"] for r in records.values()} | {e for _, e in out.acked_creates.values()}
        conn_id = seed_ids[0]
        resp = requests.patch(svc.flow_url + f"/connections/{conn_id}", timeout=10,
                              json=[{"op": "replace", "path": "/name", "value": "after"}],
                              headers={**headers, "If-Match": records[conn_id]["etag"]})
        assert resp.status_code == 200, resp.text
        assert resp.json()["etag"] not in seen
    finally:
        svc.close()
