"""The `aep` provider: its configuration schema, and the Flow Service client it builds.

Heavy imports (requests, the client) wait until a resource needs the API: Terraform starts
this process 3-4 times per command, and several of those starts only ask for the schema.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from aep_client.config import DEFAULT_FLOW_SERVICE_URL, ENV_VARS, SERVICE_SEGMENTS, beside_flow_service
from aep_provider.protocol.resource import (
    UNKNOWN,
    Attribute,
    DataSourceHandler,
    Diagnostic,
    ProviderHandler,
    ResourceHandler,
    Schema,
    Value,
)
from aep_provider.resources.context import ResourceContext
from aep_spec import identity, platform

if TYPE_CHECKING:
    from aep_client import FlowServiceClient, FlowServiceConfig
    from aep_provider.data_sources.base import FlowDataSource
    from aep_provider.resources.flow_object import FlowObject

#: Where the ownership journal is when neither the provider block nor the environment says.
OWNERSHIP_JOURNAL_ENV = "AEP_OWNERSHIP_JOURNAL"
DEFAULT_OWNERSHIP_JOURNAL = ".aep-ownership"
#: Every provider argument's environment fallback: the client's settings, and the provider's own.
PROVIDER_ENV_VARS: dict[str, str] = {**ENV_VARS, "ownership_journal": OWNERSHIP_JOURNAL_ENV}
#: Defaults of the provider's own arguments (the client's are in FlowServiceConfig).
PROVIDER_DEFAULTS: dict[str, str] = {"ownership_journal": DEFAULT_OWNERSHIP_JOURNAL}

PROVIDER_SCHEMA = Schema(
    description="Manages Adobe Experience Platform ingestion from Amazon S3: XDM schemas, datasets, mapping sets, "
                "S3 base connections, source and "
                "target connections, and dataflows.",
    attributes=(
        Attribute("flow_service_url", "string", optional=True, description=(
            "Flow Service base URL. Env: AEP_FLOW_SERVICE_URL. "
            "Default: https://platform.adobe.io/data/foundation/flowservice.")),
        *(Attribute(name, "string", optional=True, description=(
            f"{service} base URL. Env: {ENV_VARS[name]}. Default: beside flow_service_url "
            f"({beside_flow_service(DEFAULT_FLOW_SERVICE_URL, segment)})."))
          for (name, segment), service in zip(SERVICE_SEGMENTS.items(), ("Schema Registry", "Catalog",
                                                                          "Data Prep (mapping sets)"), strict=True)),
        Attribute("ims_url", "string", optional=True, description=(
            "Adobe IMS base URL (the token endpoint is /ims/token/v3 below it). Env: AEP_IMS_URL. "
            "Default: https://ims-na1.adobelogin.com.")),
        Attribute("client_id", "string", optional=True, description=(
            "OAuth server-to-server client id (also sent as x-api-key). Env: AEP_CLIENT_ID.")),
        Attribute("client_secret", "string", optional=True, sensitive=True, description=(
            "OAuth server-to-server client secret. Env: AEP_CLIENT_SECRET. Prefer the environment "
            "or a sensitive variable: never a literal in configuration.")),
        Attribute("org_id", "string", optional=True, description=(
            "IMS organization id, `…@AdobeOrg` (x-gw-ims-org-id). Env: AEP_ORG_ID.")),
        Attribute("sandbox_name", "string", optional=True, description=(
            "Sandbox (x-sandbox-name). Env: AEP_SANDBOX_NAME. Default: prod.")),
        Attribute("scopes", ["list", "string"], optional=True, description=(
            "IMS scopes. Env: AEP_SCOPES (comma-separated). Default: openid, AdobeID, "
            "read_organizations, additional_info.projectedProductContext, session.")),
        Attribute("request_timeout", "number", optional=True, description=(
            "Seconds to wait for one HTTP response. Env: AEP_REQUEST_TIMEOUT. Default: 30.")),
        Attribute("operation_timeout", "number", optional=True, description=(
            "Seconds one operation may take, retries included. Env: AEP_OPERATION_TIMEOUT. Default: 300.")),
        Attribute("max_retries", "number", optional=True, description=(
            "Retries of a throttled (429) or failed (5xx, connection) call. Env: AEP_MAX_RETRIES. Default: 5.")),
        Attribute("ownership_journal", "string", optional=True, description=(
            "Where this state records the objects it begins to create and holds: the evidence that lets "
            "a deploy adopt an object an interrupted create left, and never another state's. Keep it "
            "beside the state: a folder (relative to Terraform's working directory) or "
            "`s3://BUCKET/PREFIX?region=R&endpoint=URL` (AWS credentials as for the S3 backend). "
            f"Env: {OWNERSHIP_JOURNAL_ENV}. Default: `{DEFAULT_OWNERSHIP_JOURNAL}`.")),
    ),
)


class AepProviderHandler(ProviderHandler):
    """Holds the configuration until a resource first needs the client, then builds it once."""

    type_name = identity.TYPE
    schema = PROVIDER_SCHEMA

    def __init__(self) -> None:
        self._config: FlowServiceConfig | None = None
        self._client: FlowServiceClient | None = None
        self._handlers: dict[str, FlowObject] | None = None
        self._readers: dict[str, FlowDataSource] | None = None

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """The settings' rules for every value known at validation (unknowns wait for configure)."""
        known = {name: value for name, value in config.items() if value is not None and value is not UNKNOWN}
        return [Diagnostic("error", f"Invalid {v.field}", str(v), (v.field,)) for v in platform.check_settings(known)]

    def configure(self, config: dict[str, Value]) -> list[Diagnostic]:
        from aep_client import ConfigurationError, FlowServiceConfig
        from aep_provider.protocol.log import adopt

        adopt("aep_client")  # API calls with Flow Service request ids show under TF_LOG=debug

        # The bounds of check() are enforced again by FlowServiceConfig, so no second pass here.
        diagnostics: list[Diagnostic] = []
        overrides: dict[str, Any] = {}
        journal_at = config.pop("ownership_journal", None)
        for name, value in config.items():
            if value is UNKNOWN:
                diagnostics.append(Diagnostic(
                    "error", f"Provider attribute {name} is not known",
                    f"{name} depends on a value only known after apply; the provider needs it to plan.",
                    (name,)))
            elif value is not None:
                overrides[name] = value
        if diagnostics:
            return diagnostics
        from aep_provider.resources.ownership import JournalLocationError, open_journal

        location = journal_at if isinstance(journal_at, str) else (
            os.environ.get(OWNERSHIP_JOURNAL_ENV, "").strip() or DEFAULT_OWNERSHIP_JOURNAL)
        try:
            journal = open_journal(location)
        except JournalLocationError as exc:
            return [Diagnostic("error", "Invalid ownership_journal", f"{exc} ({OWNERSHIP_JOURNAL_ENV})",
                               ("ownership_journal",))]
        try:
            cfg = FlowServiceConfig.from_env(overrides)
        except ConfigurationError as exc:
            # One diagnostic naming every attribute: Terraform shows each one it gets, path or not.
            first = exc.attributes[0] if exc.attributes else None
            return [Diagnostic("error", "Invalid provider configuration", str(exc), (first,) if first else None)]
        self._config = cfg
        context = ResourceContext(self._get_client, cfg.sandbox_name, cfg.client_id, journal)
        for handler in self.handlers.values():
            handler.configure(context)
        for reader in self.readers.values():
            reader.configure(context)
        return diagnostics

    def _get_client(self) -> FlowServiceClient:
        """The one client of this process, so one token and one connection pool serve every call."""
        if self._client is None:
            from aep_client import FlowServiceClient

            if self._config is None:
                raise RuntimeError("provider used before ConfigureProvider")
            self._client = FlowServiceClient(self._config)
        return self._client

    @property
    def handlers(self) -> dict[str, FlowObject]:
        """One handler per resource type, built on first use (their modules load only then)."""
        if self._handlers is None:
            from aep_provider.resources.dataflow import Dataflow
            from aep_provider.resources.dataset import Dataset
            from aep_provider.resources.mapping_set import MappingSet
            from aep_provider.resources.s3_base_connection import S3BaseConnection
            from aep_provider.resources.source_connection import SourceConnection
            from aep_provider.resources.target_connection import TargetConnection
            from aep_provider.resources.xdm_schema import XdmSchema

            made: list[FlowObject] = [S3BaseConnection(), SourceConnection(), XdmSchema(), Dataset(),
                                      TargetConnection(), MappingSet(), Dataflow()]
            self._handlers = {handler.type_name: handler for handler in made}
        return self._handlers

    @property
    def readers(self) -> dict[str, FlowDataSource]:
        """One handler per data source type, built on first use."""
        if self._readers is None:
            from aep_provider.data_sources.dataflow_runs import DataflowRuns
            from aep_provider.data_sources.dataset import DatasetLookup
            from aep_provider.data_sources.explore import Explore
            from aep_provider.data_sources.mapping_set import MappingSetLookup
            from aep_provider.data_sources.xdm_schema import XdmSchemaLookup

            # A look-up by name reads its kind's listing through the resource's handler: one per process.
            kinds = self.handlers
            made: list[FlowDataSource] = [
                Explore(), DataflowRuns(), XdmSchemaLookup(kinds[identity.XDM_SCHEMA]),
                DatasetLookup(kinds[identity.DATASET]), MappingSetLookup(kinds[identity.MAPPING_SET])]
            self._readers = {reader.type_name: reader for reader in made}
        return self._readers

    def stop(self) -> None:
        """StopProvider: in-flight calls finish (a create's answer reaches state), retries stop."""
        if self._client is not None:
            self._client.stop()

    def resources(self) -> dict[str, ResourceHandler]:
        return dict(self.handlers)

    def data_sources(self) -> dict[str, DataSourceHandler]:
        return dict(self.readers)
