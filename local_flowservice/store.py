"""Durable state in SQLite: connections, IMS tokens and the etag sequence.

WAL mode with synchronous=FULL and one IMMEDIATE transaction per write, committed before the
answer goes out, so an acknowledged write survives `kill -9` (and power loss) and a
read-modify-write (PATCH) can never interleave with another. Writes share one connection behind
a lock (SQLite has one writer anyway); reads take a pooled connection of their own and see the
last committed state without waiting for the writer (WAL readers never block).
"""

from __future__ import annotations

import json
import os
import queue
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

# Copies of the listable fields beside the JSON document, written in the same statement, so a
# list filters and sorts without parsing every document (only the page's are parsed).
INDEX_COLUMNS = {"name": "$.name", "description": "$.description", "state": "$.state",
                 "spec_id": "$.connectionSpec.id", "created_at": "$.createdAt",
                 "updated_at": "$.updatedAt"}


class Tx:
    """Operations valid inside one transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get_connection(self, conn_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM connections WHERE id = ?", (conn_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_connection(self, doc: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO connections (id, org, sandbox, doc, name, description, state, "
            "spec_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc["id"], doc["imsOrgId"], doc["sandboxName"], json.dumps(doc, sort_keys=True),
             doc["name"], doc.get("description"), doc["state"], doc["connectionSpec"]["id"],
             doc["createdAt"], doc["updatedAt"]),
        )

    def delete_connection(self, conn_id: str) -> bool:
        return self._db.execute("DELETE FROM connections WHERE id = ?", (conn_id,)).rowcount > 0

    def list_connections(self, org: str, sandbox: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT doc FROM connections WHERE org = ? AND sandbox = ?", (org, sandbox)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def list_index(self, org: str, sandbox: str) -> list[dict[str, Any]]:
        """The listable fields of a scope's connections, shaped like the records they mirror."""
        rows = self._db.execute(
            "SELECT id, name, description, state, spec_id, created_at, updated_at FROM connections "
            "WHERE org = ? AND sandbox = ?", (org, sandbox)).fetchall()
        index = []
        for conn_id, name, description, state, spec_id, created_at, updated_at in rows:
            entry = {"id": conn_id, "name": name, "state": state, "connectionSpec": {"id": spec_id},
                     "createdAt": created_at, "updatedAt": updated_at}
            if description is not None:
                entry["description"] = description
            index.append(entry)
        return index

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
        self._db = self._connect()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._migrate()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all_readers: list[sqlite3.Connection] = []

    def _migrate(self) -> None:
        """Databases written before the index columns existed get them, filled from the documents."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(connections)")}
        missing = [c for c in INDEX_COLUMNS if c not in have]
        if not missing:
            return
        with self.transaction():
            for column in missing:
                kind = "INTEGER" if column.endswith("_at") else "TEXT"
                self._db.execute(f"ALTER TABLE connections ADD COLUMN {column} {kind}")
            sets = ", ".join(f"{c} = json_extract(doc, '{path}')" for c, path in INDEX_COLUMNS.items())
            self._db.execute(f"UPDATE connections SET {sets}")  # noqa: S608 - constant names

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only snapshot on a pooled connection; never waits for writers."""
        try:
            db = self._readers.get_nowait()
        except queue.Empty:
            db = self._connect()
            db.execute("PRAGMA query_only=ON")
            with self._lock:
                self._all_readers.append(db)
        try:
            db.execute("BEGIN")
            try:
                yield Tx(db)
            finally:
                db.execute("ROLLBACK")
        finally:
            self._readers.put(db)

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
            for db in self._all_readers:
                db.close()
            self._db.close()
