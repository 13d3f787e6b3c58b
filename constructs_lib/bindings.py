"""Hand-written CDKTF bindings for the ``aep`` provider (``terraform.local/aep/aep``).

Written by hand rather than by ``cdktf get``: the provider has four resources and two data
sources, and generated code (~100 KB) would need the provider installed at generation time. The
attribute names follow the provider's schema (docs/) exactly; values are passed through unchanged,
tokens included.

Secrets (the provider's ``client_secret`` and the resource's ``*_wo`` attributes) are accepted
only as tokens, so that no secret is ever written to cdk.tf.json.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from constructs import Construct

from aep_spec import identity, platform
from constructs_lib.errors import ConstructError, PropViolation, construct_path, is_token, require_token
from constructs_lib.framework import cdk

PROVIDER_NAME = identity.TYPE
PROVIDER_SOURCE = identity.SOURCE
PROVIDER_VERSION = identity.VERSION
RESOURCE_TYPE = identity.S3_BASE_CONNECTION

# The CLI rejects a required_providers entry without a version: the metadata carries it.
_GENERATOR_METADATA = cdk.TerraformProviderGeneratorMetadata(
    provider_name=PROVIDER_NAME,
    provider_version_constraint=PROVIDER_VERSION,
)

_CREDENTIAL_HINT = (
    "Declare a sensitive (ideally ephemeral) TerraformVariable and pass its .string_value, "
    "or leave it unset to use the environment variable"
)


def _present(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Unset (None) attributes are left out, so Terraform sees them as null."""
    return {key: value for key, value in attributes.items() if value is not None}


def _version(value: str | int | None) -> str | int | None:
    """Versions are strings in the provider's schema: write literal integers as strings (a number
    token stays as it is: Terraform converts it)."""
    if value is None or isinstance(value, str) or cdk.Token.is_unresolved(value):
        return value
    return str(value)


def _hcl(attributes: Mapping[str, Any], kinds: Mapping[str, str]) -> dict[str, Any]:
    """The shape ``cdktf synth --hcl`` expects for each attribute."""
    out: dict[str, Any] = {}
    for key, value in _present(attributes).items():
        kind = kinds.get(key, "string")
        out[key] = {
            "value": value,
            "isBlock": False,
            "type": "list" if kind == "list" else "simple",
            "storageClassType": "stringList" if kind == "list" else kind,
        }
    return out


def _declare_write_only(resource: cdk.TerraformResource) -> None:
    """Tell the framework this resource uses write-only attributes (Terraform >= 1.11).

    CDK Terrain checks such features against the project's ``targetVersions`` at synth, so a project
    declaring an older Terraform fails there with a clear message; CDKTF 0.21 has no such check.
    """
    register = getattr(resource, "_register_provider_feature_usage", None)
    feature = getattr(getattr(cdk, "ProviderFeature", None), "WRITE_ONLY_ATTRIBUTES", None)
    if register is not None and feature is not None:
        register(feature)


class AepProvider(cdk.TerraformProvider):
    """The ``aep`` provider block.

    Every attribute is optional: unset ones fall back to the provider's environment variables
    (``AEP_CLIENT_ID``, ``AEP_CLIENT_SECRET``, ``AEP_ORG_ID``...; see docs/design.md), which is
    the recommended way to supply ``client_secret``. ``client_secret``, when given, must be a
    token (a sensitive TerraformVariable reference), never a literal.
    """

    _KINDS: Mapping[str, str] = {
        "scopes": "list",
        "request_timeout": "number",
        "operation_timeout": "number",
        "max_retries": "number",
        "alias": "string",
    }

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        flow_service_url: str | None = None,
        ims_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        org_id: str | None = None,
        sandbox_name: str | None = None,
        scopes: Sequence[str] | None = None,
        request_timeout: float | None = None,
        operation_timeout: float | None = None,
        max_retries: int | None = None,
        ownership_journal: str | None = None,
        alias: str | None = None,
    ) -> None:
        path = construct_path(scope, id)
        require_token(client_secret, "client_secret", _CREDENTIAL_HINT + " AEP_CLIENT_SECRET.", path)
        literals = {"flow_service_url": flow_service_url, "ims_url": ims_url, "client_id": client_id,
                    "org_id": org_id, "sandbox_name": sandbox_name, "request_timeout": request_timeout,
                    "operation_timeout": operation_timeout, "max_retries": max_retries}
        known = {k: v for k, v in literals.items() if v is not None and not is_token(v)}
        violations = platform.check_settings(known)
        if violations:
            raise ConstructError([PropViolation(path, v.field, v.rule, known.get(v.field)) for v in violations])
        super().__init__(
            scope,
            id,
            terraform_resource_type=PROVIDER_NAME,
            terraform_provider_source=PROVIDER_SOURCE,
            terraform_generator_metadata=_GENERATOR_METADATA,
        )
        self._alias = alias
        self._attributes: dict[str, Any] = {
            "flow_service_url": flow_service_url,
            "ims_url": ims_url,
            "client_id": client_id,
            "client_secret": client_secret,
            "org_id": org_id,
            "sandbox_name": sandbox_name,
            "scopes": list(scopes) if scopes is not None else None,
            "request_timeout": request_timeout,
            "operation_timeout": operation_timeout,
            "max_retries": max_retries,
            "ownership_journal": ownership_journal,
        }

    # cdktf's base class ignores alias (generated bindings override it): the override here is
    # what makes resources refer to "aep.<alias>".
    @property
    def alias(self) -> str | None:
        return getattr(self, "_alias", None)

    @alias.setter
    def alias(self, value: str | None) -> None:
        self._alias = value

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return _present({**self._attributes, "alias": self.alias})

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        return _hcl({**self._attributes, "alias": self.alias}, self._KINDS)


class FlowObjectResource(cdk.TerraformResource):
    """What every resource binding of this provider shares: attributes passed through as given
    (tokens included), synthesized without the unset ones, and the computed attributes every kind
    has, as references Terraform resolves."""

    #: Attribute -> storage class for ``cdktf synth --hcl`` (default "string").
    _KINDS: Mapping[str, str] = {}

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        terraform_resource_type: str,
        attributes: Mapping[str, Any],
        depends_on: Sequence[cdk.ITerraformDependable] | None = None,
        lifecycle: cdk.TerraformResourceLifecycle | dict[str, Any] | None = None,
        provider: cdk.TerraformProvider | None = None,
        count: float | cdk.TerraformCount | None = None,
        for_each: cdk.ITerraformIterator | None = None,
    ) -> None:
        super().__init__(
            scope,
            id,
            terraform_resource_type=terraform_resource_type,
            terraform_generator_metadata=_GENERATOR_METADATA,
            depends_on=depends_on,
            lifecycle=lifecycle,
            provider=provider,
            count=count,
            for_each=for_each,
        )
        self._attributes: dict[str, Any] = dict(attributes)

    @property
    def configured(self) -> Mapping[str, Any]:
        """The configured attributes (None = unset), as given; tokens stay tokens."""
        return dict(self._attributes)

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return _present(self._attributes)

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        return _hcl(self._attributes, self._KINDS)

    # Computed attributes: references resolved by Terraform (tokens here).
    @property
    def id(self) -> str:
        """The id Flow Service assigned."""
        return self.get_string_attribute("id")

    @property
    def etag(self) -> str:
        """The current etag (changes on every update)."""
        return self.get_string_attribute("etag")

    @property
    def state(self) -> str:
        return self.get_string_attribute("state")

    @property
    def created_at(self) -> str:
        return self.get_string_attribute("created_at")

    @property
    def updated_at(self) -> str:
        return self.get_string_attribute("updated_at")


class S3BaseConnectionResource(FlowObjectResource):
    """The ``aep_s3_base_connection`` resource, attribute for attribute.

    Prefer the :class:`~constructs_lib.S3BaseConnection` construct, which validates the props
    against Adobe's S3 spec and wires credentials from variables. The ``*_wo`` attributes are
    write-only (Terraform >= 1.11): Terraform sends them to the provider but never stores them;
    bump the matching ``*_wo_version`` to send a new value. They must be tokens.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        description: str | None = None,
        auth_spec_name: str | None = None,
        bucket_name: str | None = None,
        folder_path: str | None = None,
        service_url: str | None = None,
        access_key_wo: str | None = None,
        access_key_wo_version: str | int | None = None,
        secret_key_wo: str | None = None,
        secret_key_wo_version: str | int | None = None,
        session_token_wo: str | None = None,
        session_token_wo_version: str | int | None = None,
        depends_on: Sequence[cdk.ITerraformDependable] | None = None,
        lifecycle: cdk.TerraformResourceLifecycle | dict[str, Any] | None = None,
        provider: cdk.TerraformProvider | None = None,
        count: float | cdk.TerraformCount | None = None,
        for_each: cdk.ITerraformIterator | None = None,
    ) -> None:
        for prop, value in (
            ("access_key_wo", access_key_wo),
            ("secret_key_wo", secret_key_wo),
            ("session_token_wo", session_token_wo),
        ):
            require_token(value, prop, _CREDENTIAL_HINT + ".")
        super().__init__(
            scope,
            id,
            terraform_resource_type=RESOURCE_TYPE,
            attributes={
                "name": name,
                "description": description,
                "auth_spec_name": auth_spec_name,
                "bucket_name": bucket_name,
                "folder_path": folder_path,
                "service_url": service_url,
                "access_key_wo": access_key_wo,
                "access_key_wo_version": _version(access_key_wo_version),
                "secret_key_wo": secret_key_wo,
                "secret_key_wo_version": _version(secret_key_wo_version),
                "session_token_wo": session_token_wo,
                "session_token_wo_version": _version(session_token_wo_version),
            },
            depends_on=depends_on,
            lifecycle=lifecycle,
            provider=provider,
            count=count,
            for_each=for_each,
        )
        if any(v is not None for v in (access_key_wo, secret_key_wo, session_token_wo)):
            _declare_write_only(self)

    @property
    def connection_spec_id(self) -> str:
        return self.get_string_attribute("connection_spec_id")

    @property
    def sandbox_name(self) -> str:
        return self.get_string_attribute("sandbox_name")

    @property
    def auth_spec_name(self) -> str:
        """The auth spec in effect (computed when not configured)."""
        return self.get_string_attribute("auth_spec_name")


class SourceConnectionResource(FlowObjectResource):
    """The ``aep_source_connection`` resource: which files of a base connection, which format.

    Prefer the :class:`~constructs_lib.S3Dataflow` construct, which validates the path against the
    connection's bucket and folder and declares the target connection and dataflow with it.
    """

    _KINDS: Mapping[str, str] = {"recursive": "boolean"}

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        base_connection_id: str,
        path: str,
        format: str,
        description: str | None = None,
        path_type: str | None = None,
        recursive: bool | None = None,
        column_delimiter: str | None = None,
        encoding: str | None = None,
        compression_type: str | None = None,
        depends_on: Sequence[cdk.ITerraformDependable] | None = None,
        lifecycle: cdk.TerraformResourceLifecycle | dict[str, Any] | None = None,
        provider: cdk.TerraformProvider | None = None,
    ) -> None:
        super().__init__(
            scope, id, terraform_resource_type=identity.SOURCE_CONNECTION,
            attributes={"name": name, "description": description, "base_connection_id": base_connection_id,
                        "path": path, "path_type": path_type, "recursive": recursive, "format": format,
                        "column_delimiter": column_delimiter, "encoding": encoding,
                        "compression_type": compression_type},
            depends_on=depends_on, lifecycle=lifecycle, provider=provider)


class TargetConnectionResource(FlowObjectResource):
    """The ``aep_target_connection`` resource: the Data Lake dataset and its XDM schema."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        dataset_id: str,
        schema_id: str,
        description: str | None = None,
        schema_version: str | None = None,
        format: str | None = None,
        depends_on: Sequence[cdk.ITerraformDependable] | None = None,
        lifecycle: cdk.TerraformResourceLifecycle | dict[str, Any] | None = None,
        provider: cdk.TerraformProvider | None = None,
    ) -> None:
        super().__init__(
            scope, id, terraform_resource_type=identity.TARGET_CONNECTION,
            attributes={"name": name, "description": description, "dataset_id": dataset_id, "schema_id": schema_id,
                        "schema_version": schema_version, "format": format},
            depends_on=depends_on, lifecycle=lifecycle, provider=provider)


class DataflowResource(FlowObjectResource):
    """The ``aep_dataflow`` resource: source to target on a schedule, with a mapping."""

    _KINDS: Mapping[str, str] = {"interval": "number", "start_time": "number", "mapping_version": "number",
                                 "backfill": "boolean", "enabled": "boolean"}

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        source_connection_id: str,
        target_connection_id: str,
        frequency: str,
        description: str | None = None,
        interval: int | None = None,
        start_time: int | None = None,
        backfill: bool | None = None,
        mapping_id: str | None = None,
        mapping_version: int | None = None,
        enabled: bool | None = None,
        depends_on: Sequence[cdk.ITerraformDependable] | None = None,
        lifecycle: cdk.TerraformResourceLifecycle | dict[str, Any] | None = None,
        provider: cdk.TerraformProvider | None = None,
    ) -> None:
        super().__init__(
            scope, id, terraform_resource_type=identity.DATAFLOW,
            attributes={"name": name, "description": description, "source_connection_id": source_connection_id,
                        "target_connection_id": target_connection_id, "frequency": frequency, "interval": interval,
                        "start_time": start_time, "backfill": backfill, "mapping_id": mapping_id,
                        "mapping_version": mapping_version, "enabled": enabled},
            depends_on=depends_on, lifecycle=lifecycle, provider=provider)


class XdmSchemaResource(FlowObjectResource):
    """The ``aep_xdm_schema`` resource: a tenant schema of a class and the declared fields (name -> type)."""

    def __init__(self, scope: Construct, id: str, *, name: str, fields: Mapping[str, str],
                 description: str | None = None, class_id: str | None = None,
                 depends_on: Sequence[cdk.ITerraformDependable] | None = None,
                 provider: cdk.TerraformProvider | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=identity.XDM_SCHEMA, attributes={
            "name": name, "description": description, "class_id": class_id, "fields": dict(fields)},
            depends_on=depends_on, provider=provider)


class DatasetResource(FlowObjectResource):
    """The ``aep_dataset`` resource: a Catalog dataset on a schema, deletion-protected by default."""

    _KINDS: Mapping[str, str] = {"deletion_protection": "boolean"}

    def __init__(self, scope: Construct, id: str, *, name: str, schema_id: str, description: str | None = None,
                 deletion_protection: bool | None = None,
                 depends_on: Sequence[cdk.ITerraformDependable] | None = None,
                 provider: cdk.TerraformProvider | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=identity.DATASET, attributes={
            "name": name, "description": description, "schema_id": schema_id,
            "deletion_protection": deletion_protection}, depends_on=depends_on, provider=provider)


class MappingSetResource(FlowObjectResource):
    """The ``aep_mapping_set`` resource: lines from source columns (or expressions) to XDM paths."""

    def __init__(self, scope: Construct, id: str, *, name: str, schema_id: str,
                 mappings: Sequence[Mapping[str, str]], description: str | None = None,
                 sample_connection_id: str | None = None, sample_file: str | None = None,
                 sample_delimiter: str | None = None,
                 depends_on: Sequence[cdk.ITerraformDependable] | None = None,
                 provider: cdk.TerraformProvider | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=identity.MAPPING_SET, attributes={
            "name": name, "description": description, "schema_id": schema_id,
            "mappings": [dict(m) for m in mappings], "sample_connection_id": sample_connection_id,
            "sample_file": sample_file, "sample_delimiter": sample_delimiter},
            depends_on=depends_on, provider=provider)


class FlowDataSource(cdk.TerraformDataSource):
    """What the data source bindings share: attributes passed through, unset ones left out."""

    def __init__(self, scope: Construct, id: str, *, terraform_resource_type: str, attributes: Mapping[str, Any],
                 provider: cdk.TerraformProvider | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=terraform_resource_type,
                         terraform_generator_metadata=_GENERATOR_METADATA, provider=provider)
        self._attributes: dict[str, Any] = dict(attributes)

    def _synthesize_attributes(self) -> Mapping[str, Any]:
        return _present(self._attributes)

    def _synthesize_hcl_attributes(self) -> Mapping[str, Any]:
        return _hcl(self._attributes, {"limit": "number"})


class ExploreDataSource(FlowDataSource):
    """``data.aep_explore``: a connection's files and folders, or a file's columns."""

    def __init__(self, scope: Construct, id: str, *, connection_id: str, path: str | None = None,
                 file_type: str | None = None, column_delimiter: str | None = None,
                 provider: cdk.TerraformProvider | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=identity.EXPLORE, provider=provider, attributes={
            "connection_id": connection_id, "path": path, "file_type": file_type,
            "column_delimiter": column_delimiter})


class NamedDataSource(FlowDataSource):
    """``data.aep_xdm_schema``, ``data.aep_dataset``, ``data.aep_mapping_set``: an existing object by name."""

    def __init__(self, scope: Construct, id: str, *, kind: str, name: str, depends_on: Sequence[str] = (),
                 provider: cdk.TerraformProvider | None = None) -> None:
        """``depends_on``: addresses (``terraform_data.x``) whose pending changes defer the read to apply."""
        super().__init__(scope, id, terraform_resource_type=kind, provider=provider, attributes={"name": name})
        if depends_on:
            self.add_override("depends_on", list(depends_on))


class DataflowRunsDataSource(FlowDataSource):
    """``data.aep_dataflow_runs``: a dataflow's recent runs, status and record counts."""

    def __init__(self, scope: Construct, id: str, *, flow_id: str, limit: int | None = None,
                 provider: cdk.TerraformProvider | None = None) -> None:
        super().__init__(scope, id, terraform_resource_type=identity.DATAFLOW_RUNS, provider=provider,
                         attributes={"flow_id": flow_id, "limit": limit})
