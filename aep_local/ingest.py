"""What one run does with S3: list the source's files, take the new or modified ones, read them and
map every record with the flow's mapping set (a record that cannot be mapped fails, naming its row
and column); the records that pass are what the run lands in its dataset. The files are real
objects read through the S3 API with the base connection's stored credentials (the same client
as `/test` and `/explore`), so a run's metrics describe real files.

Which files a run takes:
* a scheduled run after an earlier one: the files not seen by the earlier run, or whose
  LastModified or ETag changed since (the flow's cursor), independent of any clock;
* a flow's first scheduled run: every file when `backfill` is true or unset, else only the files
  modified after `startTime`;
* an on-demand run: the files modified within its `windowStartTime`..`windowEndTime`.
"""

from __future__ import annotations

import fnmatch
import tarfile
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aep_spec import ingestion

from . import formats
from .dataprep.mapper import MappingFailure
from .flowservice.connectivity import Connectivity, Denied, Unreachable, redact
from .flowservice.references import RowMapper

MAX_FILES = 5000                    # per run; the rest wait for the next run
MAX_FILE_BYTES = 64 * 1024 * 1024   # compressed or not: larger files are not counted
PARQUET_FOOTER_MAX = 16 * 1024 * 1024
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error, ValueError, tarfile.TarError, zipfile.BadZipFile)

# The emulator's own run error codes, in Adobe's `<SERVICE>-<code>-<status>` shape.
UNREACHABLE = "CONNECTOR-1001-503"
DENIED = "CONNECTOR-1002-403"
NOT_FOUND = "CONNECTOR-1003-404"
MALFORMED = "INGEST-1001-400"
UNREADABLE = "INGEST-1002-400"
UNMAPPED = "MAPPER-3701-400"        # a value the mapping cannot turn into its field's type
MAX_ROW_ERRORS = 100                # per run; the rest are counted in one more error


@dataclass(frozen=True)
class Selection:
    """Which of the listed files a run takes (see the module's docstring)."""

    seen: Mapping[str, list[Any]] | None = None    # the cursor of the flow's previous run
    backfill: bool = True
    start_time: int | None = None
    window: tuple[int, int] | None = None

    def takes(self, key: str, modified: float, etag: str) -> bool:
        if self.window is not None:
            return self.window[0] <= modified <= self.window[1]
        if self.seen is not None:
            return list(self.seen.get(key) or []) != [modified, etag]
        return self.backfill or self.start_time is None or modified > self.start_time


@dataclass
class FileResult:
    path: str
    size: int
    records: int = 0
    failed: int = 0
    output_bytes: int = 0
    problem: str | None = None   # the file could not be counted (too large, not decompressible)
    accepted: list[dict[str, Any]] = field(default_factory=list)   # the records to land (not Parquet's)
    malformed: int = 0           # failed by their shape (a row's width, a line that is no object)
    unmapped: list[str] = field(default_factory=list)   # "row N, column C: why" per row the mapping failed


@dataclass
class Outcome:
    files: list[FileResult] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    seen: dict[str, list[Any]] | None = None   # None when the listing failed: the cursor stays


class Ingestor:
    """Runs the S3 side of a run for a source connection and its base connection."""

    def __init__(self, connectivity: Connectivity) -> None:
        self.connectivity = connectivity

    def run(self, base: Mapping[str, Any], source: Mapping[str, Any], selection: Selection,
            mapper: RowMapper | None = None) -> Outcome:
        """List, select and read the files; each record mapped (when a mapper is given) or taken as is."""
        outcome = Outcome()
        params, data = source["params"], source["data"]
        bucket = ingestion.bucket_of(params["path"])
        try:
            client = self.connectivity.client(base)
            listed = self._list(client, params)
            if params.get("type") == "file" and not listed:
                outcome.errors.append({"code": NOT_FOUND, "message": f"The file {params['path']} does not exist."})
                return outcome
            outcome.seen = {o["Key"]: [o["LastModified"].timestamp(), o["ETag"]] for o in listed}
            taken = [o for o in listed if selection.takes(o["Key"], o["LastModified"].timestamp(), o["ETag"])]
            for obj in taken[:MAX_FILES]:
                outcome.files.append(self._count(client, bucket, obj, data, mapper))
        except Unreachable as exc:
            outcome.errors.append({"code": UNREACHABLE, "message": f"The S3 endpoint could not be reached: {exc}"})
            outcome.seen = None
        except Denied as exc:
            message = redact(exc.message, base["auth"]["params"])
            outcome.errors.append({"code": DENIED, "message": f"S3 answered {exc.code}: {message}"})
            outcome.seen = None
        unmapped = [f"{result.path} {why}" for result in outcome.files for why in result.unmapped]
        for result in outcome.files:
            if result.problem:
                outcome.errors.append({"code": UNREADABLE, "message": f"{result.path}: {result.problem}"})
            elif result.malformed:
                outcome.errors.append({"code": MALFORMED, "message": f"{result.path}: {result.malformed} of "
                                       f"{result.records} records could not be parsed ({_why(data)})."})
        outcome.errors += [{"code": UNMAPPED, "message": why} for why in unmapped[:MAX_ROW_ERRORS]]
        if len(unmapped) > MAX_ROW_ERRORS:
            outcome.errors.append({"code": UNMAPPED, "message": f"{len(unmapped) - MAX_ROW_ERRORS} more rows could "
                                   "not be mapped."})
        return outcome

    # --- listing -----------------------------------------------------------------------------

    def _list(self, client: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The objects the source path names, sorted by key."""
        path = str(params["path"])
        bucket = ingestion.bucket_of(path)
        key = path.lstrip("/").partition("/")[2]
        recursive = bool(ingestion.as_bool(params.get("recursive")))
        if params.get("type") == "file":
            found = self._objects(client, bucket, key, recursive=True)
            return [o for o in found if o["Key"] == key]
        parent, _, last = key.rstrip("/").rpartition("/")
        if any(c in last for c in "*?["):
            prefix = f"{parent}/" if parent else ""
            return [o for o in self._objects(client, bucket, prefix, recursive=True)
                    if _matches(o["Key"][len(prefix):], last, recursive)]
        prefix = f"{key.strip('/')}/" if key.strip("/") else ""
        return self._objects(client, bucket, prefix, recursive)

    def _objects(self, client: Any, bucket: str, prefix: str, recursive: bool) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while len(found) < MAX_FILES * 2:
            kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
            if not recursive:
                kwargs["Delimiter"] = "/"
            if token:
                kwargs["ContinuationToken"] = token
            page = self.connectivity.call(client, "list_objects_v2", **kwargs)
            found += [o for o in page.get("Contents", []) if not o["Key"].endswith("/")]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                break
        return sorted(found, key=lambda o: str(o["Key"]))

    # --- reading and counting ------------------------------------------------------------------

    def _count(self, client: Any, bucket: str, obj: Mapping[str, Any], data: Mapping[str, Any],
               mapper: RowMapper | None) -> FileResult:
        size = int(obj["Size"])
        result = FileResult(f"/{bucket}/{obj['Key']}", size)
        properties = data.get("properties") or {}
        if data["format"] == "parquet":
            self._count_parquet(client, bucket, obj["Key"], result)
            return result
        if size > MAX_FILE_BYTES:
            result.problem = f"larger than the emulator's {MAX_FILE_BYTES} bytes per file"
            return result
        raw = self.connectivity.call(client, "get_object", Bucket=bucket, Key=obj["Key"])["Body"].read()
        try:
            content = formats.decompress(raw, properties.get("compressionType"), MAX_FILE_BYTES)
        except formats.TooLarge as exc:
            result.problem = str(exc)
            return result
        except DECOMPRESS_ERRORS as exc:
            result.problem = f"not {properties.get('compressionType')} data: {exc}"
            return result
        encoding = "latin-1" if properties.get("encoding") == "ISO-8859-1" else "utf-8"
        text = content.decode(encoding, errors="replace")
        if data["format"] == "delimited":
            rows = formats.delimited_rows(text, properties.get("columnDelimiter") or ingestion.DEFAULT_DELIMITER)
        else:
            rows = formats.json_records(text)
        for number, row in rows:
            result.records += 1
            if row is None:
                result.malformed += 1
                continue
            try:
                record = mapper.apply(row) if mapper is not None else row
            except MappingFailure as exc:
                result.unmapped.append(f"row {number}, column {exc.column}: {exc.message}")
                continue
            result.accepted.append(record)
            result.output_bytes += formats.json_size(record)
        result.failed = result.malformed + len(result.unmapped)
        return result

    def _count_parquet(self, client: Any, bucket: str, key: str, result: FileResult) -> None:
        try:
            if result.size < 12:
                raise ValueError("too small to be a Parquet file")
            tail = self._range(client, bucket, key, result.size - 8, result.size - 1)
            length = formats.parquet_footer_length(tail)
            if length > min(PARQUET_FOOTER_MAX, result.size - 12):
                raise ValueError("the footer length is not plausible")
            footer = self._range(client, bucket, key, result.size - 8 - length, result.size - 9)
            result.records = formats.parquet_num_rows(footer)
            result.output_bytes = result.size
        except ValueError as exc:
            result.problem = f"not a readable Parquet file: {exc}"

    def _range(self, client: Any, bucket: str, key: str, first: int, last: int) -> bytes:
        body = self.connectivity.call(client, "get_object", Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
        data: bytes = body["Body"].read()
        return data


def _matches(relative: str, pattern: str, recursive: bool) -> bool:
    """A wildcard selects entries directly under its folder: files, and (recursive) folders' files."""
    head, sep, _ = relative.partition("/")
    if sep and not recursive:
        return False
    return fnmatch.fnmatchcase(head, pattern)


def _why(data: Mapping[str, Any]) -> str:
    if data["format"] == "delimited":
        return "their column count differs from the header's"
    return "they are not JSON objects"
