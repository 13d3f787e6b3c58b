"""Durable state in SQLite: connections, the ingestion objects, the other services' documents, IMS
tokens and the etag sequence.

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
from collections.abc import Iterator, Mapping, Sequence
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

# Every kind after the base connection (source and target connections, flows, runs) shares one
# table: the document plus the columns lists filter and sort on. `links` holds the ids a document
# refers to (a flow's connections, a run's flow), so "who uses X" is one indexed query.
OBJECTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL,
    sandbox TEXT NOT NULL,
    doc TEXT NOT NULL,
    name TEXT,
    description TEXT,
    state TEXT,
    spec_id TEXT,
    created_at INTEGER,
    updated_at INTEGER
);
CREATE INDEX IF NOT EXISTS objects_scope ON objects (kind, org, sandbox);
CREATE INDEX IF NOT EXISTS objects_state ON objects (kind, state);
CREATE TABLE IF NOT EXISTS links (
    from_id TEXT NOT NULL,
    field TEXT NOT NULL,
    to_id TEXT NOT NULL,
    PRIMARY KEY (from_id, field, to_id)
);
CREATE INDEX IF NOT EXISTS links_to ON links (to_id, field);
"""
# The Schema Registry's, Catalog's and Data Prep's documents: ids are unique only within an org and
# sandbox (seeded ids repeat across sandboxes), so the scope is part of the key.
DOCUMENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    org TEXT NOT NULL,
    sandbox TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, org, sandbox, id)
);
"""
SCHEMA_VERSION = 3

# Kinds of documents. Base connections keep their own table (they were stored before the others
# existed); the rest share `objects`. A cursor is what a flow's scheduled runs have seen in S3.
CONNECTION = "connection"
SOURCE_CONNECTION = "sourceConnection"
TARGET_CONNECTION = "targetConnection"
FLOW = "flow"
RUN = "run"
CURSOR = "cursor"

DB_NAME = "local-aep.sqlite3"

# Copies of the listable fields beside the JSON document, written in the same statement, so a
# list filters and sorts without parsing every document (only the page's are parsed).
INDEX_COLUMNS = {"name": "$.name", "description": "$.description", "state": "$.state",
                 "spec_id": "$.connectionSpec.id", "created_at": "$.createdAt",
                 "updated_at": "$.updatedAt"}


class Tx:
    """Operations valid inside one transaction.

    Documents are addressed by kind and id; `CONNECTION` lives in the `connections` table, every
    other kind in `objects`. Index entries carry the listable columns under the record's own
    field names (`spec_id` stays raw: the kind decides whether it is a connection or a flow spec).
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get(self, kind: str, doc_id: str) -> dict[str, Any] | None:
        if kind == CONNECTION:
            row = self._db.execute("SELECT doc FROM connections WHERE id = ?", (doc_id,)).fetchone()
        else:
            row = self._db.execute("SELECT doc FROM objects WHERE id = ? AND kind = ?",
                                   (doc_id, kind)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, doc: dict[str, Any], *, spec_id: str | None = None, state: str | None = None,
            links: Mapping[str, Sequence[str]] | None = None) -> None:
        """Insert or replace a document, its index columns and the ids it refers to."""
        values = (doc["id"], doc["imsOrgId"], doc["sandboxName"], json.dumps(doc, sort_keys=True),
                  doc.get("name"), doc.get("description"), state, spec_id,
                  doc["createdAt"], doc["updatedAt"])
        if kind == CONNECTION:
            self._db.execute(
                "INSERT OR REPLACE INTO connections (id, org, sandbox, doc, name, description, state, "
                "spec_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO objects (kind, id, org, sandbox, doc, name, description, state, "
                "spec_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (kind, *values))
        if links is not None:
            self._db.execute("DELETE FROM links WHERE from_id = ?", (doc["id"],))
            self._db.executemany("INSERT OR IGNORE INTO links (from_id, field, to_id) VALUES (?, ?, ?)",
                                 [(doc["id"], f, to) for f, ids in links.items() for to in ids])

    def delete(self, kind: str, doc_id: str) -> bool:
        if kind == CONNECTION:
            gone = self._db.execute("DELETE FROM connections WHERE id = ?", (doc_id,)).rowcount > 0
        else:
            gone = self._db.execute("DELETE FROM objects WHERE id = ? AND kind = ?",
                                    (doc_id, kind)).rowcount > 0
        self._db.execute("DELETE FROM links WHERE from_id = ?", (doc_id,))
        return gone

    def index(self, kind: str, org: str, sandbox: str) -> list[dict[str, Any]]:
        """The listable fields of a scope's documents of one kind, plus the ids each refers to."""
        table, where, args = ("connections", "", ()) if kind == CONNECTION else ("objects", " AND kind = ?", (kind,))
        rows = self._db.execute(
            f"SELECT id, name, description, state, spec_id, created_at, updated_at FROM {table} "  # noqa: S608
            f"WHERE org = ? AND sandbox = ?{where}", (org, sandbox, *args)).fetchall()
        entries: dict[str, dict[str, Any]] = {}
        for doc_id, name, description, state, spec_id, created_at, updated_at in rows:
            entry = {"id": doc_id, "name": name, "state": state, "spec_id": spec_id,
                     "createdAt": created_at, "updatedAt": updated_at}
            if description is not None:
                entry["description"] = description
            entries[doc_id] = entry
        if kind != CONNECTION and entries:
            links = self._db.execute(
                "SELECT l.from_id, l.field, l.to_id FROM links l JOIN objects o ON o.id = l.from_id "
                "WHERE o.kind = ? AND o.org = ? AND o.sandbox = ?", (kind, org, sandbox)).fetchall()
            for from_id, field, to_id in links:
                entries[from_id].setdefault(field, []).append(to_id)
        return list(entries.values())

    def referrers(self, to_id: str, field: str | None = None) -> list[tuple[str, str]]:
        """(id, field) of every document that refers to `to_id` (through `field`, if given)."""
        if field is None:
            rows = self._db.execute("SELECT from_id, field FROM links WHERE to_id = ?", (to_id,))
        else:
            rows = self._db.execute("SELECT from_id, field FROM links WHERE to_id = ? AND field = ?",
                                    (to_id, field))
        return [(r[0], r[1]) for r in rows.fetchall()]

    def newest_referrer(self, kind: str, to_id: str, field: str) -> dict[str, Any] | None:
        """The most recently created document of `kind` that refers to `to_id` (a flow's last run)."""
        row = self._db.execute(
            "SELECT o.doc FROM links l JOIN objects o ON o.id = l.from_id WHERE l.to_id = ? AND l.field = ? "
            "AND o.kind = ? ORDER BY o.created_at DESC, o.id DESC LIMIT 1", (to_id, field, kind)).fetchone()
        return json.loads(row[0]) if row else None

    def scan(self, kind: str, state: str) -> list[dict[str, Any]]:
        """Every document of a kind in a state, across orgs and sandboxes (the scheduler's view)."""
        rows = self._db.execute("SELECT doc FROM objects WHERE kind = ? AND state = ?", (kind, state))
        return [json.loads(r[0]) for r in rows.fetchall()]

    # --- scoped documents (the services after Flow Service) ---------------------------------

    def document(self, kind: str, org: str, sandbox: str, doc_id: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT doc FROM documents WHERE kind = ? AND org = ? AND sandbox = ? AND id = ?",
                               (kind, org, sandbox, doc_id)).fetchone()
        return json.loads(row[0]) if row else None

    def documents(self, kind: str, org: str, sandbox: str) -> dict[str, dict[str, Any]]:
        """Every document of a kind in a scope, by id, in the order they were first written."""
        rows = self._db.execute("SELECT id, doc FROM documents WHERE kind = ? AND org = ? AND sandbox = ? "
                                "ORDER BY rowid", (kind, org, sandbox)).fetchall()
        return {row[0]: json.loads(row[1]) for row in rows}

    def put_document(self, kind: str, org: str, sandbox: str, doc_id: str, doc: Mapping[str, Any]) -> None:
        self._db.execute("INSERT INTO documents (kind, org, sandbox, id, doc) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (kind, org, sandbox, id) DO UPDATE SET doc = excluded.doc",
                         (kind, org, sandbox, doc_id, json.dumps(doc, sort_keys=True)))

    def delete_document(self, kind: str, org: str, sandbox: str, doc_id: str) -> bool:
        return self._db.execute("DELETE FROM documents WHERE kind = ? AND org = ? AND sandbox = ? AND id = ?",
                                (kind, org, sandbox, doc_id)).rowcount > 0

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
        """Bring a database written by an earlier version up to `SCHEMA_VERSION`.

        Version 1 added the connections' index columns (filled from the documents), version 2 the
        `objects` and `links` tables of the ingestion path, version 3 the `documents` table of the
        Schema Registry, Catalog and Data Prep; every step is idempotent.
        """
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        have = {row[1] for row in self._db.execute("PRAGMA table_info(connections)")}
        missing = [c for c in INDEX_COLUMNS if c not in have]
        if version >= SCHEMA_VERSION and not missing:
            return
        with self.transaction():
            for column in missing:
                kind = "INTEGER" if column.endswith("_at") else "TEXT"
                self._db.execute(f"ALTER TABLE connections ADD COLUMN {column} {kind}")
            if missing:
                sets = ", ".join(f"{c} = json_extract(doc, '{path}')" for c, path in INDEX_COLUMNS.items())
                self._db.execute(f"UPDATE connections SET {sets}")  # noqa: S608 - constant names
            for statement in (OBJECTS_SCHEMA + DOCUMENTS_SCHEMA).split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
