"""The ``S3Dataflow`` construct: the ingestion path after a base connection, as one declaration.

Adobe's tutorial continues from a base connection with three objects: a source connection (which
files, which format), a target connection (which dataset, which schema) and a dataflow (schedule,
mapping). One ``S3Dataflow`` declares all three with typed props, checks them while the app is
synthesized (paths inside the connection's bucket and folder, formats, delimiters, the schedule's
rules, ids), and gives the three resources one stable address each: ``<type>.<id>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from constructs import Construct

from aep_spec import identity, ingestion, rules
from aep_spec.rules import RuleViolation
from constructs_lib.bindings import DataflowResource, SourceConnectionResource, TargetConnectionResource
from constructs_lib.errors import ConstructError, PropViolation, construct_path, is_token

Frequency = Literal["minute", "hour", "day", "week"]


@dataclass(frozen=True)
class Delimited:
    """Delimited text (CSV and the like): one-character ``delimiter`` (default ``,``), ``encoding``
    (``UTF-8`` or ``ISO-8859-1``), ``compression`` (``gzip``, ``bzip2``...). Needs a mapping."""

    delimiter: str | None = None
    encoding: str | None = None
    compression: str | None = None
    format: Literal["delimited"] = field(default="delimited", init=False)


@dataclass(frozen=True)
class Json:
    """JSON (XDM-compliant), optionally compressed."""

    compression: str | None = None
    format: Literal["json"] = field(default="json", init=False)


@dataclass(frozen=True)
class Parquet:
    """Parquet (XDM-compliant)."""

    format: Literal["parquet"] = field(default="parquet", init=False)


FileFormat = Delimited | Json | Parquet


@dataclass(frozen=True)
class Schedule:
    """When a dataflow runs: ``Schedule.every(15, "minute")`` or ``Schedule.once()``.

    ``start_time`` is epoch seconds (default: when the flow is created); ``backfill`` (default
    Flow Service's, true) ingests the files already there on the first run.
    """

    frequency: str
    interval: int | None = None
    start_time: int | None = None
    backfill: bool | None = None

    @classmethod
    def every(cls, interval: int, unit: Frequency, *, start_time: int | None = None,
              backfill: bool | None = None) -> Schedule:
        return cls(unit, interval, start_time, backfill)

    @classmethod
    def once(cls, *, start_time: int | None = None) -> Schedule:
        return cls("once", start_time=start_time)

    def violations(self) -> list[RuleViolation]:
        return ingestion.check_schedule(self.frequency, self.interval, self.start_time, self.backfill,
                                        fields={n: f"schedule.{n}" for n in ("frequency", "interval", "start_time",
                                                                             "backfill")})


@dataclass(frozen=True)
class Expect:
    """What a run of the dataflow must show to pass ``verify`` (and the health report): it did not
    fail, at most ``max_failed_share`` of the records read failed (default 5 %), and at least
    ``min_records`` were written (default 0: a scheduled run after a change may find no new file)."""

    max_failed_share: float = 0.05
    min_records: int = 0

    def violations(self) -> list[RuleViolation]:
        out: list[RuleViolation] = []
        if not 0 <= self.max_failed_share <= 1:
            out.append(RuleViolation("expect.max_failed_share", "must be a share from 0 to 1",
                                     self.max_failed_share))
        if self.min_records < 0:
            out.append(RuleViolation("expect.min_records", "must be 0 or more", self.min_records))
        return out


@dataclass(frozen=True)
class MappingSet:
    """A Data Prep mapping set (created in Data Prep beforehand) and its version."""

    id: str
    version: int = 0


def check_dataflow(
    *,
    name: str,
    path: str,
    path_type: str = "folder",
    recursive: bool | None = None,
    file_format: FileFormat,
    dataset_id: str,
    schema_id: str,
    schedule: Schedule,
    mapping: MappingSet | None = None,
    description: str | None = None,
    bucket_name: str | None = None,
    folder_path: str | None = None,
) -> list[RuleViolation]:
    """Every rule the literal props break (tokens are left to the provider's plan).

    ``bucket_name``/``folder_path`` are the base connection's: a path outside them is refused.
    """
    out: list[RuleViolation] = []
    if not is_token(name):
        out += rules.check_text(name, "name", required=True)
    if description is not None and not is_token(description):
        out += rules.check_text(description, "description")
    given: object = file_format
    if not isinstance(given, Delimited | Json | Parquet):
        kind = type(given).__name__
        return [*out, RuleViolation("format", f"must be Delimited(...), Json(...) or Parquet() (got {kind})", given)]
    if not is_token(path):
        out += ingestion.check_source(
            path, path_type, recursive, file_format.format,
            getattr(file_format, "delimiter", None), getattr(file_format, "encoding", None),
            getattr(file_format, "compression", None),
            fields={"column_delimiter": "format.delimiter", "encoding": "format.encoding",
                    "compression_type": "format.compression"})
        literal_scope = not is_token(bucket_name) and not is_token(folder_path)
        if not out and literal_scope and not ingestion.path_within(path, bucket_name, folder_path):
            scope = "/" + "/".join(p for p in (bucket_name, (folder_path or "").strip("/")) if p)
            out.append(RuleViolation("path", f"must lie inside the base connection's bucket and folder ({scope})",
                                     path))
    if not is_token(dataset_id):
        out += ingestion.check_dataset_id(dataset_id)
    if not is_token(schema_id):
        out += ingestion.check_schema_id(schema_id)
    out += schedule.violations()
    if mapping is None or not (is_token(mapping.id) or is_token(mapping.version)):  # a declared set: its own rules
        out += ingestion.check_mapping(mapping.id if mapping else None, mapping.version if mapping else None,
                                       file_format.format, ("mapping.id", "mapping.version"))
    return out


class S3Dataflow:
    """A source connection, a target connection and a dataflow, addressed
    ``aep_source_connection.<id>``, ``aep_target_connection.<id>`` and
    ``aep_dataflow.<id>`` (the same key in every stack), with names derived from ``name``
    (``<name> (source)``, ``<name> (target)``), unique per sandbox as the flow's name is.

    ``connection`` is the base connection's id (a token such as ``connection.id`` or a plain
    ``${aep_s3_base_connection.<key>.id}`` reference); pass ``bucket_name`` and
    ``folder_path`` (the connection's) to have the path checked against them at synth.
    Raises :class:`ConstructError` listing every broken rule before anything joins the tree.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        connection: str,
        path: str,
        format: FileFormat,
        dataset_id: str,
        schema_id: str,
        schedule: Schedule,
        mapping: MappingSet | None = None,
        description: str | None = None,
        path_type: str = "folder",
        recursive: bool | None = None,
        schema_version: str | None = None,
        enabled: bool | None = None,
        bucket_name: str | None = None,
        folder_path: str | None = None,
    ) -> None:
        where = construct_path(scope, id)
        violations = check_dataflow(name=name, path=path, path_type=path_type, recursive=recursive,
                                    file_format=format, dataset_id=dataset_id, schema_id=schema_id, schedule=schedule,
                                    mapping=mapping, description=description, bucket_name=bucket_name,
                                    folder_path=folder_path)
        if schema_version is not None:
            violations += ingestion.check_schema_version(schema_version)
        if violations:
            raise ConstructError([PropViolation.of(where, v) for v in violations])
        properties = {"column_delimiter": getattr(format, "delimiter", None),
                      "encoding": getattr(format, "encoding", None),
                      "compression_type": getattr(format, "compression", None)}
        self.source = SourceConnectionResource(
            scope, f"{id}__source", name=f"{name} (source)", base_connection_id=connection, path=path,
            path_type=path_type, recursive=recursive, format=format.format, **properties)
        self.target = TargetConnectionResource(
            scope, f"{id}__target", name=f"{name} (target)", dataset_id=dataset_id, schema_id=schema_id,
            schema_version=schema_version)
        self.flow = DataflowResource(
            scope, f"{id}__flow", name=name, description=description,
            source_connection_id=_reference(identity.SOURCE_CONNECTION, id),
            target_connection_id=_reference(identity.TARGET_CONNECTION, id),
            frequency=schedule.frequency, interval=schedule.interval, start_time=schedule.start_time,
            backfill=schedule.backfill, mapping_id=mapping.id if mapping else None,
            mapping_version=mapping.version if mapping else None, enabled=enabled)
        for resource in (self.source, self.target, self.flow):
            resource.override_logical_id(id)

        self.key = id

    @property
    def id(self) -> str:
        """The dataflow's id (a reference Terraform resolves)."""
        return _reference(identity.DATAFLOW, self.key)


def _reference(resource_type: str, key: str) -> str:
    """A plain Terraform reference (no jsii round trip), valid once the logical id is the key."""
    return f"${{{resource_type}.{key}.id}}"
