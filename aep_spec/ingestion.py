"""The ingestion path after the base connection, as data and rules: source connections (which
files, which format), the Data Lake target connection (which dataset, which schema) and the
``CloudStorageToAEP`` dataflow (schedule, mapping).

The construct (synth), the provider (plan) and the local AEP read the same facts and
rules here, so what one accepts the others accept. Each ``check_*`` returns a list of
:class:`~aep_spec.rules.RuleViolation` and never raises.

Choices where Adobe's sources disagree or are silent (documented in docs/local_aep.md):

* ``scheduleParams.interval``: at least 15 for ``minute`` and at least 1 for ``hour``, ``day`` and
  ``week`` (the flow spec's JSON Schema; the tutorial's "at least 15 for all" is not followed);
  ``once`` forbids ``interval`` and ``backfill``. ``startTime`` is epoch **seconds**: a value that
  only makes sense as milliseconds (after the year 5000) is refused.
* The XDM schema version defaults to ``application/vnd.adobe.xed-full+json;version=1`` (the
  tutorial); ``;version=1.0`` (the OpenAPI file, aepp) is accepted too.
* A source path starts with ``/`` and the bucket (``/bucket/dir/*.csv``); wildcards (``*``, ``?``)
  only in its last component; a ``file`` path does not end with ``/``. ``recursive`` is for folders.
* ``compressionType`` applies to delimited and JSON data, ``encoding`` and ``columnDelimiter`` to
  delimited data only; a delimiter is one character (a tab is allowed).
* Delimited data needs a mapping (Data Prep turns columns into XDM fields); JSON and Parquet must
  already be XDM-compliant and may go without one.
* Dataset ids are Catalog ids (24 hexadecimal characters), mapping ids 32 hexadecimal characters,
  schema ids ``https://ns.adobe.com/...`` URLs.
"""

from __future__ import annotations

import re
from typing import Any, Final

from aep_spec import rules
from aep_spec.rules import RuleViolation

#: The Data Lake target connection spec (where a cloud storage dataflow writes).
DATA_LAKE_CONNECTION_SPEC_ID: Final = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
DATA_LAKE_CONNECTION_SPEC_VERSION: Final = "1.0"
#: The flow spec of every cloud storage batch dataflow.
CLOUD_STORAGE_FLOW_SPEC_ID: Final = "9753525b-82c7-4dce-8a9b-5ccfce2b9876"
CLOUD_STORAGE_FLOW_SPEC_NAME: Final = "CloudStorageToAEP"
CLOUD_STORAGE_FLOW_SPEC_VERSION: Final = "1.0"

FORMATS: Final = ("delimited", "json", "parquet")
PATH_TYPES: Final = ("file", "folder")
COMPRESSION_TYPES: Final = ("bzip2", "gzip", "deflate", "zipDeflate", "tarGzip", "tar")
ENCODINGS: Final = ("UTF-8", "ISO-8859-1")
DEFAULT_DELIMITER: Final = ","
FREQUENCIES: Final = ("once", "minute", "hour", "day", "week")
MIN_INTERVAL: Final = {"minute": 15, "hour": 1, "day": 1, "week": 1}
#: Seconds per frequency unit (the local AEP's scheduler; a week is 7 days).
UNIT_SECONDS: Final = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
XDM_FULL: Final = "application/vnd.adobe.xed-full+json"
DEFAULT_SCHEMA_VERSION: Final = f"{XDM_FULL};version=1"
SCHEMA_VERSIONS: Final = (DEFAULT_SCHEMA_VERSION, f"{XDM_FULL};version=1.0")
#: Epoch seconds after which a start time must have been written in milliseconds.
MAX_START_TIME: Final = 95_617_584_000  # 5000-01-01
#: Run states (``metrics.statusSummary.status``) the local AEP reports.
RUN_STATUSES: Final = ("inProgress", "success", "partialSuccess", "failed")

DATASET_ID_PATTERN: Final = r"[0-9a-f]{24}"
MAPPING_ID_PATTERN: Final = r"[0-9a-f]{32}"
SCHEMA_ID_PATTERN: Final = r"https://ns\.adobe\.com/[A-Za-z0-9_.-]+/schemas/[A-Za-z0-9_.-]+"
_DATASET_ID = re.compile(DATASET_ID_PATTERN)
_MAPPING_ID = re.compile(MAPPING_ID_PATTERN)
_SCHEMA_ID = re.compile(SCHEMA_ID_PATTERN)
_WILDCARD = re.compile(r"[*?]")

#: ``scheduleParams`` as the flow spec's ``scheduleSpec`` describes it (draft-07): the local Flow
#: Service validates with it, and :func:`check_schedule` states the same rules in words.
SCHEDULE_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["startTime", "frequency"],
    "properties": {
        "startTime": {"type": ["integer", "string"], "pattern": r"^[0-9]+$", "description": "epoch seconds"},
        "frequency": {"type": "string", "enum": list(FREQUENCIES)},
        "interval": {"type": ["integer", "string"], "pattern": r"^[0-9]+$"},
        "backfill": {"type": ["boolean", "string"], "enum": [True, False, "true", "false"]},
    },
}

#: ``params`` of an S3 source connection (the connection spec's ``sourceSpec.spec``).
SOURCE_PARAMS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["path"],
    "properties": {
        "path": {"type": "string", "minLength": 2, "pattern": r"^/"},
        "type": {"type": "string", "enum": list(PATH_TYPES)},
        "recursive": {"type": ["boolean", "string"], "enum": [True, False, "true", "false"]},
    },
}


def as_bool(value: Any) -> bool | None:
    """Adobe sends booleans as strings too (``"true"``): parse both; None when neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """Integers arrive as strings in GET answers (``"interval": "15"``): parse both."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _one_of(value: object, allowed: tuple[str, ...], field: str) -> list[RuleViolation]:
    if value in allowed:
        return []
    return [RuleViolation(field, f"must be one of {', '.join(allowed)}", value)]


def bucket_of(path: str) -> str:
    """``/bucket/dir/file.csv`` -> ``bucket``."""
    return path.lstrip("/").split("/", 1)[0]


def check_source_path(path: object, path_type: object = "folder", field: str = "path") -> list[RuleViolation]:
    """``/bucket/dir`` or ``/bucket/dir/*.csv``: the bucket first, wildcards only at the end."""
    if not isinstance(path, str) or not path:
        return [RuleViolation(field, "must be a non-empty string", path)]
    if rules.has_control_characters(path):
        return [RuleViolation(field, "must not contain control characters", path)]
    if not path.startswith("/") or path.startswith("//"):
        return [RuleViolation(field, "must start with / and the bucket name, as in /my-bucket/exports/*.csv", path)]
    parts = path[1:].split("/")
    trailing = parts[-1] == ""
    if trailing:
        parts = parts[:-1]
    if not parts or any(p == "" for p in parts):
        return [RuleViolation(field, "must not contain empty components (//)", path)]
    problems = [RuleViolation(field, f"bucket {v.rule}", path) for v in rules.check_bucket_name(parts[0], "bucket")]
    if any(_WILDCARD.search(p) for p in parts[:-1]) or _WILDCARD.search(parts[0]):
        problems.append(RuleViolation(field, "may hold wildcards (* or ?) only in its last component", path))
    if any(p in (".", "..") for p in parts):
        problems.append(RuleViolation(field, "must not contain . or .. components", path))
    if path_type == "file" and (trailing or len(parts) < 2):
        problems.append(RuleViolation(field, "names a file: it must not end with / and must go below the bucket", path))
    return problems


def path_within(path: str, bucket: str | None, folder: str | None) -> bool:
    """Whether a source path lies inside a base connection's bucket and folder (when it has them)."""
    inside = path.lstrip("/")
    if bucket and bucket_of(path) != bucket:
        return False
    if folder:
        scope = f"{bucket_of(path)}/{folder.strip('/')}/"
        return f"{inside.rstrip('/')}/".startswith(scope)
    return True


def check_source(path: object, path_type: object, recursive: object, data_format: object,
                 column_delimiter: object = None, encoding: object = None, compression_type: object = None,
                 fields: dict[str, str] | None = None) -> list[RuleViolation]:
    """Every rule of a source connection's ``params`` and ``data`` that its values alone decide."""
    name = {"path": "path", "path_type": "path_type", "recursive": "recursive", "format": "format",
            "column_delimiter": "column_delimiter", "encoding": "encoding",
            "compression_type": "compression_type"} | (fields or {})
    problems = _one_of(path_type, PATH_TYPES, name["path_type"])
    problems += check_source_path(path, path_type, name["path"])
    if recursive is not None and as_bool(recursive) is None:
        problems.append(RuleViolation(name["recursive"], "must be true or false", recursive))
    if as_bool(recursive) and path_type == "file":
        problems.append(RuleViolation(name["recursive"], "applies to folders only (path_type is file)", recursive))
    problems += _one_of(data_format, FORMATS, name["format"])
    if column_delimiter is not None:
        if data_format != "delimited":
            problems.append(RuleViolation(name["column_delimiter"], "applies to delimited data only",
                                          column_delimiter))
        else:
            problems += check_delimiter(column_delimiter, name["column_delimiter"])
    if encoding is not None:
        if data_format != "delimited":
            problems.append(RuleViolation(name["encoding"], "applies to delimited data only", encoding))
        else:
            problems += _one_of(encoding, ENCODINGS, name["encoding"])
    if compression_type is not None:
        if data_format == "parquet":
            problems.append(RuleViolation(name["compression_type"], "applies to delimited and JSON data only",
                                          compression_type))
        else:
            problems += _one_of(compression_type, COMPRESSION_TYPES, name["compression_type"])
    return problems


def check_delimiter(value: object, field: str = "column_delimiter") -> list[RuleViolation]:
    """A column delimiter: exactly one character, a tab or a printable one."""
    if not isinstance(value, str) or len(value) != 1:
        return [RuleViolation(field, "must be exactly one character (such as , ; | or a tab)", value)]
    if value != "\t" and rules.has_control_characters(value):
        return [RuleViolation(field, "must not be a control character other than tab", value)]
    return []


def check_source_format(value: object, field: str = "format") -> list[RuleViolation]:
    """A data format: ``delimited``, ``json`` or ``parquet``."""
    return _one_of(value, FORMATS, field)


def check_dataset_id(value: object, field: str = "dataset_id") -> list[RuleViolation]:
    if isinstance(value, str) and _DATASET_ID.fullmatch(value):
        return []
    return [RuleViolation(field, "must be a Catalog dataset id: 24 lowercase hexadecimal characters, "
                                 "such as 5f3c3cedb2805c194ff0b69a", value)]


def check_schema_id(value: object, field: str = "schema_id") -> list[RuleViolation]:
    if isinstance(value, str) and _SCHEMA_ID.fullmatch(value):
        return []
    return [RuleViolation(field, "must be an XDM schema $id, such as https://ns.adobe.com/{TENANT}/schemas/<id>",
                          value)]


def check_schema_version(value: object, field: str = "schema_version") -> list[RuleViolation]:
    return _one_of(value, SCHEMA_VERSIONS, field)


def check_mapping(mapping_id: object, mapping_version: object, data_format: object,
                  fields: tuple[str, str] = ("mapping_id", "mapping_version")) -> list[RuleViolation]:
    """A mapping set id and version, required for delimited data."""
    id_field, version_field = fields
    problems: list[RuleViolation] = []
    if mapping_id is None:
        if data_format == "delimited":
            problems.append(RuleViolation(id_field, "is required for delimited data (Data Prep maps its columns "
                                                    "to XDM fields); JSON and Parquet may go without one"))
        if mapping_version is not None:
            problems.append(RuleViolation(version_field, "needs a mapping_id", mapping_version))
        return problems
    if not isinstance(mapping_id, str) or not _MAPPING_ID.fullmatch(mapping_id):
        problems.append(RuleViolation(id_field, "must be a mapping set id: 32 lowercase hexadecimal characters",
                                      mapping_id))
    version = as_int(mapping_version) if mapping_version is not None else 0
    if version is None or version < 0:
        problems.append(RuleViolation(version_field, "must be a whole number, 0 or more", mapping_version))
    return problems


def check_schedule(frequency: object, interval: object, start_time: object, backfill: object,
                   fields: dict[str, str] | None = None) -> list[RuleViolation]:
    """``scheduleParams``: the frequency, its minimum interval, ``once``'s exclusions, epoch seconds."""
    name = {"frequency": "frequency", "interval": "interval", "start_time": "start_time",
            "backfill": "backfill"} | (fields or {})
    problems = _one_of(frequency, FREQUENCIES, name["frequency"])
    if start_time is not None:
        seconds = as_int(start_time)
        if seconds is None or seconds < 0:
            problems.append(RuleViolation(name["start_time"], "must be a time in epoch seconds (a whole number)",
                                          start_time))
        elif seconds > MAX_START_TIME:
            problems.append(RuleViolation(name["start_time"], "must be in epoch seconds, not milliseconds", start_time))
    if frequency == "once":
        if interval is not None:
            problems.append(RuleViolation(name["interval"], "must not be set when frequency is once", interval))
        if backfill is not None:
            problems.append(RuleViolation(name["backfill"], "must not be set when frequency is once", backfill))
        return problems
    if backfill is not None and as_bool(backfill) is None:
        problems.append(RuleViolation(name["backfill"], "must be true or false", backfill))
    if isinstance(frequency, str) and frequency in MIN_INTERVAL:
        least = MIN_INTERVAL[frequency]
        value = as_int(interval)
        if interval is None:
            problems.append(RuleViolation(name["interval"], f"is required when frequency is {frequency} "
                                                            f"(at least {least})"))
        elif value is None or value < least:
            problems.append(RuleViolation(name["interval"], f"must be a whole number of at least {least} when "
                                                            f"frequency is {frequency}", interval))
    return problems

