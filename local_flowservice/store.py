"""Durable state in SQLite: connections, IMS tokens and the etag sequence.

WAL mode with synchronous=FULL and one IMMEDIATE transaction per operation, so an answered
write survives `kill -9` and a read-modify-write (PATCH) can never interleave with another.
A single connection behind a lock keeps this simple; the emulator's load is tiny.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    sandbox TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS connections_scope ON connections (org, sandbox);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

DB_NAME = "flowservice.sqlite3"


class Tx:
    """Operations valid inside one transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get_connection(self, conn_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM connections WHERE id = ?", (conn_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_connection(self, doc: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO connections (id, org, sandbox, doc) VALUES (?, ?, ?, ?)",
            (doc["id"], doc["imsOrgId"], doc["sandboxName"], json.dumps(doc, sort_keys=True)),
        )

    def delete_connection(self, conn_id: str) -> bool:
        return self._db.execute("DELETE FROM connections WHERE id = ?", (conn_id,)).rowcount > 0

    def list_connections(self, org: str, sandbox: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT doc FROM connections WHERE org = ? AND sandbox = ?", (org, sandbox)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def next_sequence(self, key: str) -> int:
        """A per-database counter; starts at a random point so fresh databases differ."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        value = (row[0] + 1) if row else secrets.randbits(31)
        value %= 2**32
        self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        return value

    def put_token(self, token_hash: str, client_id: str, expires_at: float) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO tokens (token_hash, client_id, expires_at) VALUES (?, ?, ?)",
            (token_hash, client_id, expires_at),
        )

    def get_token(self, token_hash: str) -> tuple[str, float] | None:
        row = self._db.execute(
            "SELECT client_id, expires_at FROM tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def purge_tokens(self, now: float) -> int:
        return self._db.execute("DELETE FROM tokens WHERE expires_at <= ?", (now,)).rowcount


class Store:
    """Opens (or creates) the database under a data directory."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / DB_NAME
        self._lock = threading.RLock()
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per operation.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
