"""Which objects a state began to create or holds: the evidence adoption needs, kept beside the state.

Why: a create whose answer never reached Terraform's state (Ctrl-C, a kill, a lost answer) leaves
an object the next deploy must adopt rather than create twice. A name alone cannot tell that
object from another state's (another repository, the same technical account, the same name), and
adopting that one would co-manage, then delete, someone else's object. So before every create the
provider records "this state is creating <kind> <name> in <sandbox>" in the state's journal, and
once the create answered, the object's id; a delete or a rename removes the record. Adoption
then needs a record: an in-flight one and an object of this client created after it began, or an
owned one with that very id.

Where: beside the state, so the evidence goes wherever the state goes (a CI runner's fresh
checkout reads it as the last run left it). One small JSON document per object, so concurrent
creates never write the same file and no lock is needed (Terraform's state lock already keeps
two runs of one state apart):

* ``/abs/dir`` or ``file:/abs/dir`` (a relative path is Terraform's working folder's): files;
* ``s3://bucket/prefix?region=R&endpoint=URL``: objects in the state's bucket, with the AWS
  credentials Terraform's S3 backend uses (botocore, loaded only then).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

#: How far Flow Service's clock may run behind ours when an object's creation time is compared
#: with the moment its create began.
CLOCK_SKEW_MS = 5 * 60 * 1000


@dataclass(frozen=True)
class Claim:
    """One object of one kind and sandbox that this state creates (``object_id`` None) or holds."""

    kind: str
    sandbox: str
    name: str
    client: str
    began_ms: int
    object_id: str | None = None
    #: A mark the create carried, for kinds whose objects can keep one (a dataset's private tag).
    token: str = ""

    def admits(self, record: dict[str, Any]) -> bool:
        """Whether ``record`` (found by name) is the object this claim is about: the one it holds, the
        one carrying its mark, or else one of this name made after the create began."""
        if self.object_id is not None:
            return record.get("id") == self.object_id
        if record.get("claim") is not None:
            return bool(self.token) and record["claim"] == self.token
        created = record.get("createdAt")
        return isinstance(created, int | float) and created >= self.began_ms - CLOCK_SKEW_MS


class Store(Protocol):
    """Where the documents live; keys are relative paths with ``/``."""

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None: ...

    def remove(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]: ...

    def describe(self) -> str: ...


class OwnershipJournal:
    """The claims of one state, over a :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()

    @staticmethod
    def key(kind: str, sandbox: str, name: str) -> str:
        digest = hashlib.sha256(name.encode()).hexdigest()[:40]
        return f"{kind}/{sandbox}/{digest}.json"

    def claim(self, kind: str, sandbox: str, name: str) -> Claim | None:
        data = self.store.read(self.key(kind, sandbox, name))
        if data is None:
            return None
        try:
            doc = json.loads(data)
            found = Claim(**doc)
        except (ValueError, TypeError):
            return None  # unreadable evidence is no evidence: adoption is refused, never guessed
        return found if found.name == name else None

    def begin(self, kind: str, sandbox: str, name: str, client: str) -> Claim:
        """Before a create's POST: a failure here stops the create (never a create without evidence)."""
        claim = Claim(kind, sandbox, name, client, int(time.time() * 1000), token=uuid.uuid4().hex)
        self._put(claim)
        return claim

    def hold(self, kind: str, sandbox: str, name: str, client: str, object_id: str) -> None:
        """After a create answered, an adoption or an import: this state holds ``object_id``."""
        self._put(Claim(kind, sandbox, name, client, int(time.time() * 1000), object_id))

    def release(self, kind: str, sandbox: str, name: str) -> None:
        """After a delete (or a rename away from ``name``)."""
        self.store.remove(self.key(kind, sandbox, name))

    def claims(self) -> Iterator[Claim]:
        """Every readable claim (recovery of a lost state reads them)."""
        for key in self.store.keys():
            data = self.store.read(key)
            try:
                yield Claim(**json.loads(data or b""))
            except (ValueError, TypeError):
                continue

    def _put(self, claim: Claim) -> None:
        data = json.dumps(asdict(claim), sort_keys=True).encode()
        self.store.write(self.key(claim.kind, claim.sandbox, claim.name), data)


class FileStore:
    """A folder of files, each written whole (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def remove(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if self.root.is_dir():
            for path in sorted(self.root.rglob("*.json")):
                yield path.relative_to(self.root).as_posix()

    def describe(self) -> str:
        return str(self.root)


class S3Store:
    """Objects under a prefix of a bucket (the state's), through botocore."""

    def __init__(self, bucket: str, prefix: str, region: str | None, endpoint: str | None) -> None:
        self.bucket, self.prefix, self.region, self.endpoint = bucket, prefix.strip("/"), region, endpoint
        self._client: Any = None
        self._lock = threading.Lock()

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                import botocore.config
                import botocore.session

                config = botocore.config.Config(s3={"addressing_style": "path"} if self.endpoint else {},
                                                retries={"max_attempts": 3, "mode": "standard"})
                self._client = botocore.session.get_session().create_client(
                    "s3", region_name=self.region or "us-east-1", endpoint_url=self.endpoint, config=config)
            return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> bytes | None:
        client = self._s3()
        try:
            body: bytes = client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except client.exceptions.NoSuchKey:
            return None
        return body

    def write(self, key: str, data: bytes) -> None:
        self._s3().put_object(Bucket=self.bucket, Key=self._key(key), Body=data, ContentType="application/json")

    def remove(self, key: str) -> None:
        self._s3().delete_object(Bucket=self.bucket, Key=self._key(key))

    def keys(self) -> Iterator[str]:
        pages = self._s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(""))
        for page in pages:
            for item in page.get("Contents", []):
                yield str(item["Key"])[len(self._key("")):]

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


class JournalLocationError(ValueError):
    """The ``ownership_journal`` setting names no place a journal can live."""


def open_journal(location: str, cwd: Path | None = None) -> OwnershipJournal:
    """The journal at ``location`` (see the module's docstring for the forms)."""
    text = location.strip()
    if text.startswith("s3://"):
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        if not parts.netloc:
            raise JournalLocationError(f"{location!r}: an s3:// journal names its bucket: s3://BUCKET/PREFIX")
        region, endpoint = query.get("region", []), query.get("endpoint", [])
        return OwnershipJournal(S3Store(parts.netloc, parts.path, region[0] if region else None,
                                        endpoint[0] if endpoint else None))
    if "://" in text:
        raise JournalLocationError(f"{location!r}: use a folder path, file:/path or s3://bucket/prefix")
    path = Path(text.removeprefix("file:"))
    if not text or not str(path):
        raise JournalLocationError("the ownership journal needs a folder")
    return OwnershipJournal(FileStore(path if path.is_absolute() else (cwd or Path.cwd()) / path))
