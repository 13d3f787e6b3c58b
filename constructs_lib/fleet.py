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
from constructs_lib.bindings import RESOURCE_TYPE, AepProvider, DataflowRunsDataSource, ExploreDataSource
from constructs_lib.dataflow import FileFormat, MappingSet, S3Dataflow, Schedule, check_dataflow
from constructs_lib.errors import ConstructError, PropViolation
from constructs_lib.framework import cdk
from constructs_lib.placement import Placement
from constructs_lib.s3_base_connection import AccessKeyAuth, IamRoleAuth, S3Auth, S3BaseConnection, check_props

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


@dataclass(frozen=True)
class Dataflow:
    """Files of one connection into one dataset, on a schedule: a source connection, a target
    connection and a dataflow in the stack of that connection, for every sandbox it goes to.

    ``connection`` is the key of an :class:`S3Connection`. ``path`` is relative to that
    connection's bucket and folder in each sandbox (``""``: the folder itself; ``"*.csv"``: its
    CSV files), or absolute (``/bucket/folder/...``) when the connection names no bucket.
    ``sandboxes`` (default: every sandbox of the connection) and ``overrides`` work as for
    connections; ``key`` is the three resources' address in every stack: keep it stable.
    """

    key: str
    name: str
    connection: str
    format: FileFormat
    dataset_id: str
    schema_id: str
    schedule: Schedule
    path: str = ""
    path_type: str = "folder"
    recursive: bool | None = None
    mapping: MappingSet | None = None
    description: str | None = None
    enabled: bool = True
    sandboxes: tuple[str, ...] = ()
    overrides: Mapping[str, DataflowOverride] = field(default_factory=dict)

    def in_sandbox(self, sandbox: Sandbox, connection: ResolvedConnection) -> ResolvedDataflow:
        """The dataflow as deployed to ``sandbox``, overrides applied, its path made absolute."""
        over = self.overrides.get(sandbox.name, DataflowOverride())

        def pick(name: str) -> Any:
            value = getattr(over, name)
            return getattr(self, name) if value is None else value

        return ResolvedDataflow(key=self.key, name=self.name, connection=connection,
                                path=absolute_path(pick("path"), connection, self.path_type),
                                dataset_id=pick("dataset_id"),
                                schema_id=pick("schema_id"), mapping=pick("mapping"), schedule=pick("schedule"),
                                enabled=pick("enabled"), description=pick("description"), source=self)


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
    """What one sandbox gets: its connections and the dataflows that read them."""

    connections: list[ResolvedConnection] = field(default_factory=list)
    dataflows: list[ResolvedDataflow] = field(default_factory=list)


def deployments(sandboxes: Sequence[Sandbox], connections: Sequence[S3Connection],
                dataflows: Sequence[Dataflow] = ()) -> dict[str, Deployment]:
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
            resolved_flow = flow.in_sandbox(sandbox, placed)
            for v in check_dataflow(name=flow.name, path=resolved_flow.path, path_type=flow.path_type,
                                    recursive=flow.recursive, file_format=flow.format,
                                    dataset_id=resolved_flow.dataset_id, schema_id=resolved_flow.schema_id,
                                    schedule=resolved_flow.schedule, mapping=resolved_flow.mapping,
                                    description=resolved_flow.description, bucket_name=placed.bucket_name,
                                    folder_path=placed.folder_path):
                problems.append(PropViolation.of(f"{sandbox.stack_id}/{flow.key}", v))
            plan[sandbox.name].dataflows.append(resolved_flow)
    for sandbox in sandboxes:
        _unique(problems, sandbox.stack_id, "name", [r.name for r in plan[sandbox.name].connections],
                f"connection name in sandbox {sandbox.name!r}")
        _unique(problems, sandbox.stack_id, "name", [r.name for r in plan[sandbox.name].dataflows],
                f"dataflow name in sandbox {sandbox.name!r}")
    if problems:
        raise ConstructError(problems)
    return plan


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
    (``sandbox_name``), state and outputs."""

    def __init__(self, scope: Construct, sandbox: Sandbox, deployment: Deployment | Sequence[ResolvedConnection],
                 settings: ProviderSettings, backend: StateBackend | None = None, stack_id: str | None = None) -> None:
        super().__init__(scope, stack_id or sandbox.stack_id)
        if not isinstance(deployment, Deployment):
            deployment = Deployment(list(deployment))
        self.sandbox = sandbox
        AepProvider(self, "aep", flow_service_url=settings.flow_service_url, ims_url=settings.ims_url,
                    org_id=settings.org_id, sandbox_name=sandbox.name,
                    ownership_journal=(backend or StateBackend()).ownership_journal(stack_id or sandbox.stack_id))
        if backend is not None:
            backend.attach(self)
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
        for flow in deployment.dataflows:
            self.dataflows[flow.key] = S3Dataflow(
                self, flow.key, name=flow.name, description=flow.description,
                connection=f"${{{RESOURCE_TYPE}.{flow.connection.key}.id}}", path=flow.path,
                path_type=flow.source.path_type, recursive=flow.source.recursive, format=flow.source.format,
                dataset_id=flow.dataset_id, schema_id=flow.schema_id, schedule=flow.schedule, mapping=flow.mapping,
                enabled=flow.enabled, bucket_name=flow.connection.bucket_name, folder_path=flow.connection.folder_path)
        # Recorded in state: a stack main.py stops declaring can still be destroyed in its sandbox.
        cdk.TerraformOutput(self, identity.SANDBOX_OUTPUT, value=sandbox.name)
        # Plain Terraform references (the resources are addressed by their keys): no jsii call each.
        for output, attribute in (("connection_ids", "id"), ("connection_etags", "etag")):
            references = {key: f"${{{RESOURCE_TYPE}.{key}.{attribute}}}" for key in self.connections}
            cdk.TerraformOutput(self, output, value=references)
        if self.dataflows:
            cdk.TerraformOutput(self, "dataflow_ids", value={key: f"${{{identity.DATAFLOW}.{key}.id}}"
                                                             for key in self.dataflows})
        if sandbox.reports and deployment.dataflows:
            self._reports(deployment.dataflows)

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
           dataflows: Sequence[Dataflow] = (), placement: Placement | None = None) -> list[SandboxStack]:
    """The stacks of every sandbox, after validating the whole declaration.

    Without ``placement``, one :class:`SandboxStack` per sandbox. With it, a sandbox's connections
    are spread over as many stacks as its bound needs (``constructs_lib.placement``), each with
    the dataflows of its connections; the placement file is updated when connections were added
    or removed.
    """
    plan = deployments(sandboxes, connections, dataflows)
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
            stacks.append(SandboxStack(app, sandbox, part, settings, backend, stack_id=stack_id))
    if placement is not None:
        placement.save()
    return stacks
