"""How a run counts a file's records, by format: pure functions over bytes, no S3 and no storage.

* delimited: the first row is the header; every later non-blank row is a record, failed when its
  column count differs from the header's (quotes as the `csv` module reads them);
* JSON: a document holding an array counts its elements, one object counts one; otherwise the
  file is JSON lines and a line that does not parse (or is not an object) is a failed record;
* Parquet: `num_rows` from the file footer (Thrift compact protocol), without reading the data.

`outputBytes` is the size of the accepted records written as JSON, what the emulator would load.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

PARQUET_MAGIC = b"PAR1"


class TooLarge(Exception):
    """The data grows past the emulator's bound when decompressed."""


@dataclass(frozen=True)
class Count:
    records: int
    failed: int
    output_bytes: int


def decompress(data: bytes, kind: str | None, limit: int) -> bytes:
    """The file's content per `compressionType` (None: as is), at most `limit` bytes."""
    if kind is None:
        out = data
    elif kind == "gzip":
        out = gzip.GzipFile(fileobj=io.BytesIO(data)).read(limit + 1)
    elif kind == "bzip2":
        out = bz2.BZ2File(io.BytesIO(data)).read(limit + 1)
    elif kind == "deflate":
        # zlib-wrapped or raw deflate: both are called deflate.
        wbits = zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS
        out = zlib.decompressobj(wbits).decompress(data, limit + 1)
    elif kind == "zipDeflate":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            out = b"".join(_bounded(archive.open(info), limit) for info in archive.infolist() if not info.is_dir())
    elif kind in ("tar", "tarGzip"):
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz" if kind == "tarGzip" else "r:") as archive:
            out = b"".join(_bounded(archive.extractfile(m), limit) for m in archive.getmembers() if m.isfile())
    else:
        raise ValueError(f"unknown compressionType {kind}")
    if len(out) > limit:
        raise TooLarge(f"more than {limit} bytes once decompressed")
    return out


def _bounded(stream: Any, limit: int) -> bytes:
    return b"" if stream is None else bytes(stream.read(limit + 1))


Row = tuple[int, dict[str, Any] | None]   # (record number from 1, the record, or None when malformed)


def delimited_rows(text: str, delimiter: str = ",") -> Iterator[Row]:
    """The records after the header (blank rows skipped); None for one whose width is not the header's."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    number = 0
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        if header is None:
            header = [name.strip() for name in row]
            continue
        number += 1
        yield number, dict(zip(header, row, strict=True)) if len(row) == len(header) else None


def json_records(text: str) -> Iterator[Row]:
    """The elements of a top-level array (or one object), else JSON lines; None for a non-object."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    else:
        for number, item in enumerate(document if isinstance(document, list) else [document], start=1):
            yield number, item if isinstance(item, dict) else None
        return
    number = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        number += 1
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            item = None
        yield number, item if isinstance(item, dict) else None


def count(rows: Iterable[Row]) -> Count:
    records = failed = output = 0
    for _, record in rows:
        records += 1
        if record is None:
            failed += 1
        else:
            output += json_size(record)
    return Count(records, failed, output)


def count_delimited(text: str, delimiter: str = ",") -> Count:
    return count(delimited_rows(text, delimiter))


def count_json(text: str) -> Count:
    return count(json_records(text))


def json_size(record: dict[str, Any]) -> int:
    return len(json.dumps(record, separators=(",", ":")).encode("utf-8"))


# --- Parquet ---------------------------------------------------------------------------------
# A Parquet file ends with: footer (Thrift compact FileMetaData), 4-byte little-endian footer
# length, "PAR1". FileMetaData's field 3 is num_rows (i64); fields 1 and 2 are skipped.

def parquet_footer_length(tail: bytes) -> int:
    """From the file's last 8 bytes; ValueError when it is not a Parquet file."""
    if len(tail) != 8 or tail[4:] != PARQUET_MAGIC:
        raise ValueError("not a Parquet file (no PAR1 at its end)")
    length: int = struct.unpack("<I", tail[:4])[0]
    return length


def parquet_num_rows(footer: bytes) -> int:
    reader = _Compact(footer)
    last_id = 0
    while True:
        kind, last_id = reader.field_header(last_id)
        if kind == 0:
            raise ValueError("the Parquet footer has no num_rows")
        if last_id == 3 and kind == 6:
            return reader.zigzag()
        reader.skip(kind)


class _Compact:
    """Just enough of Thrift's compact protocol to walk a struct and skip what it does not need."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ValueError("the Parquet footer ends early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def field_header(self, last_id: int) -> tuple[int, int]:
        """(type, field id); type 0 is the end of the struct."""
        b = self.byte()
        kind, delta = b & 0x0F, b >> 4
        if kind == 0:
            return 0, last_id
        return kind, (last_id + delta if delta else self.zigzag())

    def skip(self, kind: int) -> None:
        if kind in (1, 2):          # booleans live in the type nibble
            return
        if kind == 3:               # byte
            self.pos += 1
        elif kind in (4, 5, 6):     # i16, i32, i64
            self.varint()
        elif kind == 7:             # double
            self.pos += 8
        elif kind == 8:             # binary
            length = self.varint()  # read first: `pos += varint()` would add to the old position
            self.pos += length
        elif kind in (9, 10):       # list, set
            head = self.byte()
            size = head >> 4 if head >> 4 != 15 else self.varint()
            for _ in range(size):
                self.skip_element(head & 0x0F)
        elif kind == 11:            # map
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip_element(types >> 4)
                    self.skip_element(types & 0x0F)
        elif kind == 12:            # struct
            last_id = 0
            while True:
                inner, last_id = self.field_header(last_id)
                if inner == 0:
                    return
                self.skip(inner)
        else:
            raise ValueError(f"unknown Thrift compact type {kind}")

    def skip_element(self, kind: int) -> None:
        # In lists, a boolean element is one whole byte.
        if kind in (1, 2):
            self.pos += 1
        else:
            self.skip(kind)
