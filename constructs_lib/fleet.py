"""Declare connections and the dataflows that read them once, deploy them to several sandboxes:
one stack, one state, one ``x-sandbox-name`` per sandbox.

Why typed Python rather than a data file: the declarations are reviewed in pull requests next to
the code that uses them, an editor checks the field names, and the same rules that guard the
construct run over the whole list before a single construct is built, so every mistake of a
change is reported at once, with the sandbox and connection it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from aep_spec import identity, platform, s3
from aep_spec.rules import RuleViolation
from constructs_lib.backend import StateBackend
from constructs_lib.bindings import (
    RESOURCE_TYPE,
    AepProvider,
    DataflowRunsDataSource,
    DatasetResource,
    ExploreDataSource,
    MappingSetResource,
    NamedDataSource,
    XdmSchemaResource,
)
from constructs_lib.dataflow import Expect, FileFormat, MappingSet, S3Dataflow, Schedule, check_dataflow
from constructs_lib.errors import ConstructError, PropViolation
from constructs_lib.framework import cdk
from constructs_lib.placement import Placement
from constructs_lib.s3_base_connection import AccessKeyAuth, IamRoleAuth, S3Auth, S3BaseConnection, check_props
from constructs_lib.targets import Dataset, Mappings, Targets, XdmSchema, check_names, targets_hash

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_VARIABLE_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _check_credentials(prefix: str) -> list[RuleViolation]:
    """A credentials prefix becomes part of variable names (``TF_VAR_<prefix>_access_key``)."""
    if _VARIABLE_PREFIX.fullmatch(prefix):
        return []
    return [RuleViolation("credentials", "must be a variable prefix: letters, digits and _")]


@dataclass(frozen=True)
class Sandbox:
    """An AEP sandbox the app deploys to; its stack is ``stack`` (default ``s3-<name>``).

    ``credentials`` is the variable prefix its connections read their keys from by default:
    ``TF_VAR_<credentials>_access_key``, ``..._secret_key``, ``..._session_token``.
    ``reports`` adds, per dataflow, the files its source folder holds (explore) and its recent
    runs as stack outputs: two more reads per dataflow on every plan.
    """

    name: str
    stack: str | None = None
    credentials: str = "s3"
    reports: bool = False

    @property
    def stack_id(self) -> str:
        return self.stack or f"s3-{self.name}"


@dataclass(frozen=True)
class SandboxOverride:
    """What one sandbox changes of a connection (unset fields keep the connection's values).

    The ``*_version`` fields rotate a credential in this sandbox only (each sandbox may have its
    own keys, through ``credentials``).
    """

    description: str | None = None
    bucket_name: str | None = None
    folder_path: str | None = None
    region: str | None = None
    credentials: str | None = None
    access_key_version: str | int | None = None
    secret_key_version: str | int | None = None
    session_token_version: str | int | None = None


@dataclass(frozen=True)
class S3Connection:
    """One Amazon S3 base connection, declared once for every sandbox it goes to.

    ``key`` names it in every stack (its Terraform address, ``aep_s3_base_connection.<key>``):
    keep it stable, a new key is a new connection. ``sandboxes`` limits it to some sandboxes
    (empty: all of them); ``overrides`` changes bucket, folder, region, description or credentials
    per sandbox. ``iam_role`` selects the ``IAMRole Based`` auth spec (no keys). Bump a
    ``*_version`` to send a new value of that credential (e.g. a rotated session token).
    """

    key: str
    name: str
    description: str | None = None
    bucket_name: str | None = None
    folder_path: str | None = None
    region: str | None = None
    iam_role: bool = False
    session_token: bool = True
    access_key_version: str | int = 1
    secret_key_version: str | int = 1
    session_token_version: str | int = 1
    sandboxes: tuple[str, ...] = ()
    overrides: Mapping[str, SandboxOverride] = field(default_factory=dict)

    def in_sandbox(self, sandbox: Sandbox) -> ResolvedConnection:
        """The connection as deployed to ``sandbox``, overrides applied."""
        over = self.overrides.get(sandbox.name, SandboxOverride())

        def pick(name: str) -> Any:
            value = getattr(over, name)
            return getattr(self, name) if value is None else value

        return ResolvedConnection(
            key=self.key,
            name=self.name,
            description=pick("description"),
            bucket_name=pick("bucket_name"),
            folder_path=pick("folder_path"),
            region=pick("region"),
            credentials=over.credentials or sandbox.credentials,
            versions=(pick("access_key_version"), pick("secret_key_version"), pick("session_token_version")),
            source=self,
        )


@dataclass(frozen=True)
class ResolvedConnection:
    """A connection's props in one sandbox."""

    key: str
    name: str
    description: str | None
    bucket_name: str | None
    folder_path: str | None
    region: str | None
    credentials: str
    versions: tuple[str | int, str | int, str | int]  # access key, secret key, session token
    source: S3Connection

    def auth(self, scope: Construct) -> S3Auth:
        if self.source.iam_role:
            return IamRoleAuth()
        access, secret, session = self.versions
        return AccessKeyAuth.from_variables(
            scope, self.credentials, access_key_version=access, secret_key_version=secret,
            session_token_version=session, with_session_token=self.source.session_token,
        )


@dataclass(frozen=True)
class DataflowOverride:
    """What one sandbox changes of a dataflow: each sandbox has its own datasets (and may have its
    own mapping sets, schedule or path); unset fields keep the dataflow's values."""

    dataset_id: str | None = None
    schema_id: str | None = None
    path: str | None = None
    mapping: MappingSet | None = None
    schedule: Schedule | None = None
    enabled: bool | None = None
    description: str | None = None


@dataclass(frozen=True, kw_only=True)
class Dataflow:
    """Files of one connection into one dataset, on a schedule: a source connection, a target
    connection and a dataflow in the stack of that connection, for every sandbox it goes to.

    ``connection`` is the key of an :class:`S3Connection`. ``path`` is relative to that
    connection's bucket and folder in each sandbox (``""``: the folder itself; ``"*.csv"``: its
    CSV files), or absolute (``/bucket/folder/...``) when the connection names no bucket.
    Where the records go: ``dataset`` (the key of a declared :class:`~constructs_lib.Dataset`, whose
    schema the target uses) and ``mapping`` (the key of a declared :class:`~constructs_lib.Mappings`
    on the same schema), so every sandbox gets its own; or, for objects that exist already,
    ``dataset_id``, ``schema_id`` and ``mapping=MappingSet(id, version)`` (per sandbox through
    ``overrides``). ``sandboxes`` (default: every sandbox of the connection) and ``overrides``
    work as for connections; ``key`` is the three resources' address in every stack: keep it stable.
    """

    key: str
    name: str
    connection: str
    format: FileFormat
    schedule: Schedule
    dataset: str | None = None
    dataset_id: str = ""
    schema_id: str = ""
    path: str = ""
    path_type: str = "folder"
    recursive: bool | None = None
    mapping: MappingSet | str | None = None
    description: str | None = None
    enabled: bool = True
    expect: Expect = field(default_factory=Expect)
    sandboxes: tuple[str, ...] = ()
    overrides: Mapping[str, DataflowOverride] = field(default_factory=dict)

    def in_sandbox(self, sandbox: Sandbox, connection: ResolvedConnection,
                   refs: TargetRefs | None = None) -> ResolvedDataflow:
        """The dataflow as deployed to ``sandbox``, overrides applied, its path made absolute, its
        declared dataset and mapping set as references to that sandbox's own (``refs``)."""
        over = self.overrides.get(sandbox.name, DataflowOverride())

        def pick(name: str) -> Any:
            value = getattr(over, name)
            return getattr(self, name) if value is None else value

        dataset_id, schema_id, mapping = pick("dataset_id"), pick("schema_id"), pick("mapping")
        if refs is not None and self.dataset is not None:
            dataset_id, schema_id = refs.dataset(self.dataset), refs.dataset_schema(self.dataset)
        if refs is not None and isinstance(self.mapping, str):
            mapping = MappingSet(refs.mapping(self.mapping), refs.mapping_version(self.mapping))  # type: ignore[arg-type]
        return ResolvedDataflow(key=self.key, name=self.name, connection=connection,
                                path=absolute_path(pick("path"), connection, self.path_type),
                                dataset_id=dataset_id, schema_id=schema_id, mapping=mapping,
                                schedule=pick("schedule"), enabled=pick("enabled"), description=pick("description"),
                                source=self)


@dataclass(frozen=True)
class TargetRefs:
    """How a stack refers to its sandbox's declared targets: the resources themselves (``aep_dataset.<key>``)
    in the stack that holds them, data sources by name (``data.aep_dataset.<key>``) in the others."""

    local: bool
    schema_of: Mapping[str, str]  # dataset key -> its schema's key

    def _address(self, kind: str, key: str) -> str:
        return f"{kind}.{key}" if self.local else f"data.{kind}.{key}"

    def dataset(self, key: str) -> str:
        return f"${{{self._address(identity.DATASET, key)}.id}}"

    def dataset_schema(self, key: str) -> str:
        return f"${{{self._address(identity.DATASET, key)}.schema_id}}"

    def mapping(self, key: str) -> str:
        return f"${{{self._address(identity.MAPPING_SET, key)}.id}}"

    def mapping_version(self, key: str) -> str:
        return f"${{{self._address(identity.MAPPING_SET, key)}.version}}"


@dataclass(frozen=True)
class ResolvedDataflow:
    """A dataflow's props in one sandbox."""

    key: str
    name: str
    connection: ResolvedConnection
    path: str
    dataset_id: str
    schema_id: str
    mapping: MappingSet | None
    schedule: Schedule
    enabled: bool
    description: str | None
    source: Dataflow

    @property
    def folder(self) -> str:
        """The folder the dataflow reads (what its explore report lists)."""
        if self.source.path_type == "folder" and not any(c in self.path.rsplit("/", 1)[-1] for c in "*?"):
            return self.path.rstrip("/")
        return self.path.rsplit("/", 1)[0]


def absolute_path(path: str, connection: ResolvedConnection, path_type: str = "folder") -> str:
    """``path`` inside the connection's bucket and folder (an absolute ``/bucket/...`` stays).

    A folder's trailing ``/`` is dropped; a file's is kept, so that the rule refusing it (a file
    path must not end with ``/``) meets the relative form as it meets the absolute one.
    """
    if path.startswith("/") or not connection.bucket_name:
        return path
    relative = path if path_type == "file" else path.strip("/")
    parts = [connection.bucket_name, (connection.folder_path or "").strip("/"), relative]
    return "/" + "/".join(part for part in parts if part)


@dataclass(frozen=True)
class ProviderSettings:
    """Provider settings shared by every stack (credentials come from the environment)."""

    flow_service_url: str | None = None
    ims_url: str | None = None
    org_id: str | None = None


@dataclass(frozen=True)
class Deployment:
    """What one sandbox gets: its connections, the dataflows that read them, and the schemas,
    datasets and mapping sets they write through."""

    connections: list[ResolvedConnection] = field(default_factory=list)
    dataflows: list[ResolvedDataflow] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)

    def refs(self, local: bool) -> TargetRefs:
        return TargetRefs(local, {d.key: d.schema for d in self.targets.datasets})


def deployments(sandboxes: Sequence[Sandbox], connections: Sequence[S3Connection],
                dataflows: Sequence[Dataflow] = (), schemas: Sequence[XdmSchema] = (),
                datasets: Sequence[Dataset] = (), mappings: Sequence[Mappings] = ()) -> dict[str, Deployment]:
    """What each sandbox gets, validated as a whole.

    Raises :class:`ConstructError` listing every violation: sandbox names and stacks, keys, the
    sandboxes a declaration names, the S3 spec's rules and the ingestion path's rules per sandbox
    (paths inside the connection's bucket and folder, formats, ids, schedules), and names unique
    per sandbox and kind (the provider's invariant: it is what lets an interrupted deploy be
    resumed safely).
    """
    problems: list[PropViolation] = []
    known = {s.name for s in sandboxes}
    _unique(problems, "app", "sandboxes", [s.name for s in sandboxes], "sandbox name")
    _unique(problems, "app", "sandboxes", [s.stack_id for s in sandboxes], "stack id")
    for sandbox in sandboxes:
        for v in platform.check_sandbox_name(sandbox.name, "name"):
            problems.append(PropViolation(f"Sandbox({sandbox.name!r})", v.field, v.rule, sandbox.name))
        for v in _check_credentials(sandbox.credentials):
            problems.append(PropViolation(f"Sandbox({sandbox.name!r})", v.field, v.rule, sandbox.credentials))
    _unique(problems, "app", "connections", [c.key for c in connections], "connection key")
    _unique(problems, "app", "dataflows", [d.key for d in dataflows], "dataflow key")
    plan: dict[str, Deployment] = {s.name: Deployment() for s in sandboxes}
    for conn in connections:
        where = f"S3Connection({conn.key!r})"
        _check_key(problems, where, conn.key)
        _check_sandboxes(problems, where, [*conn.sandboxes, *conn.overrides], known)
        for sandbox in sandboxes:
            if conn.sandboxes and sandbox.name not in conn.sandboxes:
                continue
            resolved = conn.in_sandbox(sandbox)
            for v in _violations(resolved):
                problems.append(PropViolation(f"{sandbox.stack_id}/{conn.key}", v.field, v.rule,
                                              getattr(resolved, v.field, None)))
            plan[sandbox.name].connections.append(resolved)
    _target_problems(problems, sandboxes, plan, schemas, datasets, mappings)
    by_key = {c.key: c for c in connections}
    for flow in dataflows:
        where = f"Dataflow({flow.key!r})"
        _check_key(problems, where, flow.key)
        _check_sandboxes(problems, where, [*flow.sandboxes, *flow.overrides], known)
        connection = by_key.get(flow.connection)
        if connection is None:
            keys = ", ".join(sorted(by_key)) or "none"
            problems.append(PropViolation(where, "connection", f"names no S3Connection (keys: {keys})",
                                          flow.connection))
            continue
        for sandbox in sandboxes:
            if flow.sandboxes and sandbox.name not in flow.sandboxes:
                continue
            placed = next((c for c in plan[sandbox.name].connections if c.key == flow.connection), None)
            if placed is None:
                if flow.sandboxes or flow.overrides.get(sandbox.name):
                    problems.append(PropViolation(where, "sandboxes", f"connection {flow.connection!r} is not "
                                                                      f"deployed to sandbox {sandbox.name!r}",
                                                  sandbox.name))
                continue  # by default a dataflow goes where its connection goes
            problems += [PropViolation.of(where, v) for v in flow.expect.violations()]
            if not _flow_targets(problems, where, flow, sandbox, plan[sandbox.name].targets):
                continue
            resolved_flow = flow.in_sandbox(sandbox, placed, plan[sandbox.name].refs(local=True))
            for v in check_dataflow(name=flow.name, path=resolved_flow.path, path_type=flow.path_type,
                                    recursive=flow.recursive, file_format=flow.format,
                                    dataset_id=resolved_flow.dataset_id, schema_id=resolved_flow.schema_id,
                                    schedule=resolved_flow.schedule, mapping=resolved_flow.mapping,
                                    description=resolved_flow.description, bucket_name=placed.bucket_name,
                                    folder_path=placed.folder_path):
                problems.append(PropViolation.of(f"{sandbox.stack_id}/{flow.key}", v))
            plan[sandbox.name].dataflows.append(resolved_flow)
    for sandbox in sandboxes:
        targets = plan[sandbox.name].targets
        for items, what in ((targets.schemas, "XDM schema"), (targets.datasets, "dataset"),
                            (targets.mappings, "mapping set")):
            for name, rule in check_names(items, what):
                problems.append(PropViolation(sandbox.stack_id, "name", rule, name))
        _unique(problems, sandbox.stack_id, "name", [r.name for r in plan[sandbox.name].connections],
                f"connection name in sandbox {sandbox.name!r}")
        _unique(problems, sandbox.stack_id, "name", [r.name for r in plan[sandbox.name].dataflows],
                f"dataflow name in sandbox {sandbox.name!r}")
    if problems:
        raise ConstructError(problems)
    return plan


def _target_problems(problems: list[PropViolation], sandboxes: Sequence[Sandbox], plan: dict[str, Deployment],
                     schemas: Sequence[XdmSchema], datasets: Sequence[Dataset], mappings: Sequence[Mappings]) -> None:
    """Check the schema, dataset and mapping-set declarations and give each sandbox its own."""
    known = {s.name for s in sandboxes}
    by_schema = {s.key: s for s in schemas}
    for items, what in ((schemas, "XDM schema"), (datasets, "dataset"), (mappings, "mapping set")):
        _unique(problems, "app", what, [i.key for i in items], f"{what} key")
    declared: list[XdmSchema | Dataset | Mappings] = [*schemas, *datasets, *mappings]
    for item in declared:
        where = f"{type(item).__name__}({item.key!r})"
        _check_key(problems, where, item.key)
        _check_sandboxes(problems, where, item.sandboxes, known)
        if isinstance(item, XdmSchema):
            found = item.violations()
        else:
            schema = by_schema.get(item.schema)
            found = item.violations(schema) if isinstance(item, Mappings) else item.violations()
            if schema is None:
                keys = ", ".join(sorted(by_schema)) or "none"
                found.append(RuleViolation("schema", f"names no XdmSchema (keys: {keys})", item.schema))
        problems += [PropViolation.of(where, v) for v in found]
    for sandbox in sandboxes:
        targets = plan[sandbox.name].targets
        targets.schemas.extend(s for s in schemas if not s.sandboxes or sandbox.name in s.sandboxes)
        placed = {s.key for s in targets.schemas}
        users: list[Dataset | Mappings] = [*datasets, *mappings]
        for user in users:
            if user.sandboxes and sandbox.name not in user.sandboxes:
                continue
            if user.schema in by_schema and user.schema not in placed:
                problems.append(PropViolation(f"{type(user).__name__}({user.key!r})", "sandboxes",
                                              f"its schema {user.schema!r} is not deployed to sandbox "
                                              f"{sandbox.name!r}", sandbox.name))
            if isinstance(user, Dataset):
                targets.datasets.append(user)
            else:
                targets.mappings.append(user)


def _flow_targets(problems: list[PropViolation], where: str, flow: Dataflow, sandbox: Sandbox,
                  targets: Targets) -> bool:
    """A dataflow's dataset and mapping set keys name declarations of its sandbox, on one schema."""
    datasets = {d.key: d for d in targets.datasets}
    mappings = {m.key: m for m in targets.mappings}
    before = len(problems)
    overridden = flow.overrides.get(sandbox.name, DataflowOverride()).dataset_id
    if flow.dataset is None and not (flow.dataset_id or overridden):
        problems.append(PropViolation(where, "dataset", "name a declared Dataset (its key), or give dataset_id and "
                                                        "schema_id of an existing one"))
    if flow.dataset is not None and (flow.dataset_id or flow.schema_id):
        problems.append(PropViolation(where, "dataset_id", "give either dataset (a declared Dataset) or "
                                                           "dataset_id/schema_id (an existing one), not both",
                                      flow.dataset_id or flow.schema_id))
    if flow.dataset is not None and flow.dataset not in datasets:
        problems.append(PropViolation(where, "dataset", f"names no Dataset deployed to sandbox {sandbox.name!r} "
                                                        f"(keys: {', '.join(sorted(datasets)) or 'none'})",
                                      flow.dataset))
    if isinstance(flow.mapping, str):
        mapping = mappings.get(flow.mapping)
        if mapping is None:
            problems.append(PropViolation(where, "mapping", f"names no Mappings deployed to sandbox {sandbox.name!r} "
                                                            f"(keys: {', '.join(sorted(mappings)) or 'none'})",
                                          flow.mapping))
        elif flow.dataset in datasets and datasets[flow.dataset].schema != mapping.schema:
            problems.append(PropViolation(where, "mapping", f"writes to schema {mapping.schema!r}, but dataset "
                                                            f"{flow.dataset!r} is on schema "
                                                            f"{datasets[flow.dataset].schema!r}: they must be one "
                                                            "(Flow Service refuses it, 1425)", flow.mapping))
    return len(problems) == before


def _check_key(problems: list[PropViolation], where: str, key: str) -> None:
    if not _IDENTIFIER.fullmatch(key):
        problems.append(PropViolation(where, "key", "must start with a letter or _ and hold only letters, "
                                                    "digits, _ and - (it becomes the Terraform address)", key))


def _check_sandboxes(problems: list[PropViolation], where: str, names: Iterable[str], known: set[str]) -> None:
    for name in names:
        if name not in known:
            problems.append(PropViolation(where, "sandboxes", f"names an unknown sandbox (known: "
                                                              f"{', '.join(sorted(known))})", name))


def _violations(resolved: ResolvedConnection) -> list[RuleViolation]:
    out = _check_credentials(resolved.credentials)
    source = resolved.source
    keys = [s3.PARAM_ACCESS_KEY, s3.PARAM_SECRET_KEY, *([s3.PARAM_SESSION_TOKEN] if source.session_token else [])]
    out.extend(check_props(
        name=resolved.name, description=resolved.description,
        auth_spec_name=s3.IAM_ROLE_BASED if source.iam_role else s3.ACCESS_KEY,
        credentials=[] if source.iam_role else keys,
        bucket_name=resolved.bucket_name, folder_path=resolved.folder_path, region=resolved.region))
    return out


def _unique(problems: list[PropViolation], where: str, prop: str, values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            problems.append(PropViolation(where, prop, f"each {what} must be unique; this one is repeated", value))
        seen.add(value)


class SandboxStack(cdk.TerraformStack):
    """The connections of one sandbox and the dataflows that read them: its own provider block
    (``sandbox_name``), state and outputs. The sandbox's first stack also holds its XDM schemas,
    datasets and mapping sets (``targets``); its other stacks find them by name."""

    def __init__(self, scope: Construct, sandbox: Sandbox, deployment: Deployment | Sequence[ResolvedConnection],
                 settings: ProviderSettings, backend: StateBackend | None = None, stack_id: str | None = None,
                 targets: Targets | None = None) -> None:
        super().__init__(scope, stack_id or sandbox.stack_id)
        if not isinstance(deployment, Deployment):
            deployment = Deployment(list(deployment))
        self.sandbox = sandbox
        holds_targets = (stack_id or sandbox.stack_id) == sandbox.stack_id
        targets = deployment.targets if targets is None else targets
        AepProvider(self, "aep", flow_service_url=settings.flow_service_url, ims_url=settings.ims_url,
                    org_id=settings.org_id, sandbox_name=sandbox.name,
                    ownership_journal=(backend or StateBackend()).ownership_journal(stack_id or sandbox.stack_id))
        if backend is not None:
            backend.attach(self)
        # Recorded in state: a stack main.py stops declaring can still be destroyed in its sandbox.
        cdk.TerraformOutput(self, identity.SANDBOX_OUTPUT, value=sandbox.name)
        if holds_targets:
            self._targets(targets)
        else:
            self._look_ups(targets, deployment.dataflows)
        self.connections: dict[str, S3BaseConnection] = {}
        # Connections sharing credentials share one auth (each one costs round trips to jsii).
        auths: dict[tuple[object, ...], S3Auth] = {}
        for resolved in deployment.connections:
            shape = (resolved.credentials, resolved.versions, resolved.source.iam_role, resolved.source.session_token)
            auth = auths.get(shape) or auths.setdefault(shape, resolved.auth(self))
            self.connections[resolved.key] = S3BaseConnection(
                self, resolved.key, name=resolved.name, description=resolved.description,
                bucket_name=resolved.bucket_name, folder_path=resolved.folder_path, region=resolved.region,
                auth=auth)
        self.dataflows: dict[str, S3Dataflow] = {}
        refs = TargetRefs(holds_targets, {d.key: d.schema for d in targets.datasets})
        for placed in deployment.dataflows:
            flow = placed.source.in_sandbox(sandbox, placed.connection, refs)
            self.dataflows[flow.key] = S3Dataflow(
                self, flow.key, name=flow.name, description=flow.description,
                connection=f"${{{RESOURCE_TYPE}.{flow.connection.key}.id}}", path=flow.path,
                path_type=flow.source.path_type, recursive=flow.source.recursive, format=flow.source.format,
                dataset_id=flow.dataset_id, schema_id=flow.schema_id, schedule=flow.schedule, mapping=flow.mapping,
                enabled=flow.enabled, bucket_name=flow.connection.bucket_name, folder_path=flow.connection.folder_path)
        # Plain Terraform references (the resources are addressed by their keys): no jsii call each.
        for output, attribute in (("connection_ids", "id"), ("connection_etags", "etag")):
            references = {key: f"${{{RESOURCE_TYPE}.{key}.{attribute}}}" for key in self.connections}
            cdk.TerraformOutput(self, output, value=references)
        if self.dataflows:
            cdk.TerraformOutput(self, "dataflow_ids", value={key: f"${{{identity.DATAFLOW}.{key}.id}}"
                                                             for key in self.dataflows})
            # What verify and the health report judge each dataflow's runs against.
            cdk.TerraformOutput(self, identity.EXPECTATIONS_OUTPUT, value={
                flow.key: {"max_failed_share": flow.source.expect.max_failed_share,
                           "min_records": flow.source.expect.min_records} for flow in deployment.dataflows})
        if sandbox.reports and deployment.dataflows:
            self._reports(deployment.dataflows)

    def _targets(self, targets: Targets) -> None:
        """The sandbox's schemas, datasets and mapping sets (plain references between them)."""
        for schema in targets.schemas:
            XdmSchemaResource(self, f"{schema.key}__schema", name=schema.name, description=schema.description,
                              class_id=schema.class_id, fields=dict(schema.fields)).override_logical_id(schema.key)
        for dataset in targets.datasets:
            DatasetResource(self, f"{dataset.key}__dataset", name=dataset.name, description=dataset.description,
                            schema_id=f"${{{identity.XDM_SCHEMA}.{dataset.schema}.id}}",
                            deletion_protection=dataset.deletion_protection).override_logical_id(dataset.key)
        for mapping in targets.mappings:
            MappingSetResource(self, f"{mapping.key}__mapping", name=mapping.name, description=mapping.description,
                               schema_id=f"${{{identity.XDM_SCHEMA}.{mapping.schema}.id}}",
                               mappings=mapping.lines(f"{identity.XDM_SCHEMA}.{mapping.schema}.paths"),
                               ).override_logical_id(mapping.key)
        if targets:
            cdk.TerraformOutput(self, "dataset_ids", value={d.key: f"${{{identity.DATASET}.{d.key}.id}}"
                                                            for d in targets.datasets})

    def _look_ups(self, targets: Targets, dataflows: Sequence[ResolvedDataflow]) -> None:
        """In a stack that does not hold the sandbox's targets, the datasets and mapping sets its dataflows
        use, by name. They depend on a ``terraform_data`` of the declarations' digest: when these change
        (or on the first deploy), the look-ups wait for apply, which runs after the first stack's."""
        datasets = {d.source.dataset for d in dataflows if d.source.dataset}
        mappings = {d.source.mapping for d in dataflows if isinstance(d.source.mapping, str)}
        if not datasets and not mappings:
            return
        marker = cdk.DataResource(self, "aep_targets", input={"declarations": targets_hash(targets)})
        marker.override_logical_id("aep_targets")
        after = ["terraform_data.aep_targets"]
        for dataset in targets.datasets:
            if dataset.key in datasets:
                NamedDataSource(self, f"{dataset.key}__lookup", kind=identity.DATASET, name=dataset.name,
                                depends_on=after).override_logical_id(dataset.key)
        for mapping in targets.mappings:
            if mapping.key in mappings:
                NamedDataSource(self, f"{mapping.key}__lookup", kind=identity.MAPPING_SET, name=mapping.name,
                                depends_on=after).override_logical_id(mapping.key)

    def _reports(self, dataflows: Sequence[ResolvedDataflow]) -> None:
        """Per dataflow, the files of its source folder and its recent runs, as outputs."""
        files: dict[str, str] = {}
        runs: dict[str, str] = {}
        for flow in dataflows:
            connection_id = f"${{{RESOURCE_TYPE}.{flow.connection.key}.id}}"
            ExploreDataSource(self, f"{flow.key}__files", connection_id=connection_id,
                              path=flow.folder).override_logical_id(flow.key)
            DataflowRunsDataSource(self, f"{flow.key}__runs", flow_id=f"${{{identity.DATAFLOW}.{flow.key}.id}}",
                                   limit=5).override_logical_id(flow.key)
            files[flow.key] = f"${{data.{identity.EXPLORE}.{flow.key}.files}}"
            runs[flow.key] = f"${{data.{identity.DATAFLOW_RUNS}.{flow.key}.runs}}"
        cdk.TerraformOutput(self, "explored_files", value=files)
        cdk.TerraformOutput(self, "dataflow_runs", value=runs)


def define(app: Construct, sandboxes: Sequence[Sandbox], connections: Sequence[S3Connection],
           settings: ProviderSettings = ProviderSettings(), backend: StateBackend | None = None,
           dataflows: Sequence[Dataflow] = (), placement: Placement | None = None,
           schemas: Sequence[XdmSchema] = (), datasets: Sequence[Dataset] = (),
           mappings: Sequence[Mappings] = ()) -> list[SandboxStack]:
    """The stacks of every sandbox, after validating the whole declaration.

    Without ``placement``, one :class:`SandboxStack` per sandbox. With it, a sandbox's connections
    are spread over as many stacks as its bound needs (``constructs_lib.placement``), each with
    the dataflows of its connections; the placement file is updated when connections were added
    or removed.
    """
    plan = deployments(sandboxes, connections, dataflows, schemas, datasets, mappings)
    stacks: list[SandboxStack] = []
    for sandbox in sandboxes:
        deployment = plan[sandbox.name]
        if placement is None:
            stacks.append(SandboxStack(app, sandbox, deployment, settings, backend))
            continue
        assigned = placement.assign(sandbox.name, sandbox.stack_id, [c.key for c in deployment.connections])
        for stack_id, keys in assigned.items():
            held = set(keys)
            part = Deployment([c for c in deployment.connections if c.key in held],
                              [d for d in deployment.dataflows if d.connection.key in held])
            stacks.append(SandboxStack(app, sandbox, part, settings, backend, stack_id=stack_id,
                                       targets=deployment.targets))
    if placement is not None:
        placement.save()
    return stacks
