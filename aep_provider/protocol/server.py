"""The ``tfplugin6.Provider`` servicer: gRPC requests in, ``ProviderHandler`` calls out.

Everything Terraform demands of every resource lives here, once, so handlers cannot get it
wrong: states always carry every schema attribute, write-only values never leave the process
except in ``config`` handed to the handler, destroy plans never reach the handler, and
exceptions become diagnostics that cannot echo configuration values (secrets live there).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import grpc

from . import codec, service
from . import tfplugin6_pb2 as pb
from .log import get_logger
from .resource import (
    AttrPath,
    DataSourceHandler,
    Diagnostic,
    DiagnosticsError,
    ProviderHandler,
    ResourceHandler,
    Schema,
    Value,
)

log = get_logger("protocol")

_NULL = pb.DynamicValue(msgpack=b"\xc0")
_MIN_REDACT_LEN = 4  # shorter config strings are too common words to hunt for in messages
_H = TypeVar("_H", ResourceHandler, DataSourceHandler)
# What ValidateProviderConfig, ValidateResourceConfig and ValidateDataResourceConfig check alike.
_Checked = ProviderHandler | ResourceHandler | DataSourceHandler


# ------------------------------------------------------------------------------ diagnostics


def path_to_proto(path: AttrPath, schema: Schema | None) -> pb.AttributePath:
    """Attribute path steps; the schema's types tell a map key from an attribute name."""
    ty: Any = codec.object_type(schema) if schema is not None else None
    steps = []
    for part in path:
        kind = ty[0] if isinstance(ty, list) else None
        if isinstance(part, int) and not isinstance(part, bool):
            steps.append(pb.AttributePath.Step(element_key_int=part))
            ty = ty[1] if kind in ("list", "set") else (ty[1][part] if kind == "tuple" else None)
        elif kind == "map":
            steps.append(pb.AttributePath.Step(element_key_string=str(part)))
            ty = ty[1]
        else:
            steps.append(pb.AttributePath.Step(attribute_name=str(part)))
            ty = ty[1].get(part) if kind == "object" else None
    return pb.AttributePath(steps=steps)


def diagnostic_to_proto(diag: Diagnostic, schema: Schema | None = None) -> pb.Diagnostic:
    severity = pb.Diagnostic.WARNING if diag.severity == "warning" else pb.Diagnostic.ERROR
    out = pb.Diagnostic(severity=severity, summary=diag.summary, detail=diag.detail)
    if diag.path:
        out.attribute.CopyFrom(path_to_proto(diag.path, schema))
    return out


def _strings(value: Value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def redact(text: str, secrets: Iterable[Value]) -> str:
    """Replace every string found in ``secrets`` (configs, states) by ``***`` in ``text``."""
    found = {s for v in secrets for s in _strings(v) if len(s) >= _MIN_REDACT_LEN}
    for s in sorted(found, key=len, reverse=True):
        text = text.replace(s, "***")
    return text


def _sensitive_strings(values: Iterable[Value], schema: Schema | None) -> list[str]:
    """Values of sensitive and write-only attributes, whatever their length."""
    if schema is None:
        return []
    names = [a.name for a in schema.attributes if a.sensitive or a.write_only]
    return [s for v in values if isinstance(v, dict) for n in names for s in _strings(v.get(n)) if s]


def exception_diagnostic(
    exc: BaseException, values: Iterable[Value], schema: Schema | None, secrets: Iterable[str] = ()
) -> pb.Diagnostic:
    """One error diagnostic ``Type: message`` with every configuration value scrubbed out.

    ``values`` are configs/states (their strings of 4+ characters are scrubbed); values of
    sensitive and write-only attributes in them, and ``secrets``, are scrubbed at any length.
    """
    values = list(values)
    message = redact(str(exc), values)
    for s in sorted({*_sensitive_strings(values, schema), *secrets}, key=len, reverse=True):
        message = message.replace(s, "***")
    summary = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if log.isEnabledFor(logging.DEBUG):
        # The traceback's frames hold no locals; its final line is the message, scrubbed above.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.debug("unexpected error in provider: %s\n%s", summary, frames)
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail="Unexpected provider error.")


def _error(summary: str, detail: str = "") -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)


# ------------------------------------------------------------------------------ the servicer


class ProviderServicer:
    """One instance per provider process; gRPC calls its methods from a thread pool."""

    def __init__(self, provider: ProviderHandler) -> None:
        self.provider = provider
        self._handlers: tuple[dict[str, ResourceHandler], dict[str, DataSourceHandler]] | None = None
        self._lock = threading.Lock()
        self._provider_config: dict[str, Value] | None = None  # kept only to scrub it from errors

    # -- helpers ---------------------------------------------------------------------------

    def _unexpected(self, exc: BaseException, values: Iterable[Value], schema: Schema | None) -> pb.Diagnostic:
        """``exception_diagnostic`` that also scrubs the provider's configuration (credentials)."""
        provider_values = [self._provider_config] if self._provider_config else []
        secrets = _sensitive_strings(provider_values, self.provider.schema)
        return exception_diagnostic(exc, [*values, *provider_values], schema, secrets)

    def _catalog(self) -> tuple[dict[str, ResourceHandler], dict[str, DataSourceHandler]]:
        """The provider's handlers, asked for once: a handler may hold connections or caches."""
        if self._handlers is None:
            with self._lock:
                if self._handlers is None:
                    self._handlers = (dict(self.provider.resources()), dict(self.provider.data_sources()))
        return self._handlers

    @property
    def resources(self) -> dict[str, ResourceHandler]:
        return self._catalog()[0]

    @property
    def data_sources(self) -> dict[str, DataSourceHandler]:
        return self._catalog()[1]

    @staticmethod
    def _find(handlers: Mapping[str, _H], kind: str, type_name: str) -> _H:
        try:
            return handlers[type_name]
        except KeyError:
            raise DiagnosticsError(
                [Diagnostic("error", f"Unsupported {kind} type {type_name!r}", "This provider does not serve it.")]
            ) from None

    def _resource(self, type_name: str) -> ResourceHandler:
        return self._find(self.resources, "resource", type_name)

    def _data_source(self, type_name: str) -> DataSourceHandler:
        return self._find(self.data_sources, "data source", type_name)

    def _state(self, dynamic: pb.DynamicValue | None, schema: Schema) -> dict[str, Value] | None:
        """Decode a state (prior, planned, proposed) with every attribute and write-only nulled."""
        return codec.complete(codec.decode_object(dynamic, schema), schema)

    def _config(self, dynamic: pb.DynamicValue | None, schema: Schema) -> dict[str, Value]:
        value = codec.decode_object(dynamic, schema) or {}
        return {a.name: value.get(a.name) for a in schema.attributes}

    @staticmethod
    def _encode(state: dict[str, Value] | None, schema: Schema) -> pb.DynamicValue:
        if state is None:
            return _NULL
        return pb.DynamicValue(msgpack=codec.encode_msgpack(codec.complete(state, schema), codec.object_type(schema)))

    @staticmethod
    def _diags(diags: Iterable[Diagnostic], schema: Schema | None) -> list[pb.Diagnostic]:
        return [diagnostic_to_proto(d, schema) for d in diags]

    @staticmethod
    def _write_only_refused(
        config: dict[str, Value], schema: Schema, caps: pb.ClientCapabilities | None
    ) -> list[pb.Diagnostic]:
        """Error for each write-only value set while the client cannot keep it out of state."""
        if caps is not None and caps.write_only_attributes_allowed:
            return []
        out = []
        for attr in schema.attributes:
            if attr.write_only and config.get(attr.name) is not None:
                diag = Diagnostic(
                    "error",
                    "Write-only attribute not supported by this Terraform",
                    f"{attr.name!r} is write-only: it needs Terraform 1.11 or later, which keeps it out of "
                    "plan and state. Upgrade Terraform or leave the attribute unset.",
                    (attr.name,),
                )
                out.append(diagnostic_to_proto(diag, schema))
        return out

    def _check(
        self,
        find: Callable[[], _Checked],
        dynamic: pb.DynamicValue,
        caps: pb.ClientCapabilities | None = None,
        *,
        write_only: bool = False,
    ) -> list[pb.Diagnostic]:
        """A Validate*Config RPC: decode the config and ask the handler; ``write_only`` refuses
        write-only values the client (``caps``) cannot keep out of state."""
        config: dict[str, Value] | None = None
        schema: Schema | None = None
        try:
            handler = find()
            schema = handler.schema
            config = self._config(dynamic, schema)
            refused = self._write_only_refused(config, schema, caps) if write_only else []
            return refused or self._diags(handler.check(config), schema)
        except DiagnosticsError as exc:
            return self._diags(exc.diagnostics, schema)
        except Exception as exc:  # noqa: BLE001 - any failure must become a diagnostic
            return [self._unexpected(exc, [config], schema)]

    # -- metadata and schema -----------------------------------------------------------------

    def _capabilities(self) -> pb.ServerCapabilities:
        return pb.ServerCapabilities(plan_destroy=True, get_provider_schema_optional=True, move_resource_state=False)

    def GetMetadata(self, request: pb.GetMetadata.Request, context: Any) -> pb.GetMetadata.Response:
        try:
            resources, data_sources = self._catalog()
        except Exception as exc:  # noqa: BLE001 - any failure must become a diagnostic
            return pb.GetMetadata.Response(diagnostics=[self._unexpected(exc, (), None)])
        return pb.GetMetadata.Response(
            server_capabilities=self._capabilities(),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in sorted(resources)],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in sorted(data_sources)],
        )

    def GetProviderSchema(self, request: pb.GetProviderSchema.Request, context: Any) -> pb.GetProviderSchema.Response:
        try:
            resp = pb.GetProviderSchema.Response(
                provider=codec.schema_to_proto(self.provider.schema),
                server_capabilities=self._capabilities(),
            )
            resources, data_sources = self._catalog()
            for name, resource in resources.items():
                resp.resource_schemas[name].CopyFrom(codec.schema_to_proto(resource.schema))
            for name, data_source in data_sources.items():
                resp.data_source_schemas[name].CopyFrom(codec.schema_to_proto(data_source.schema))
            return resp
        except Exception as exc:  # noqa: BLE001
            return pb.GetProviderSchema.Response(diagnostics=[self._unexpected(exc, (), None)])

    # -- provider ----------------------------------------------------------------------------

    def ValidateProviderConfig(
        self, request: pb.ValidateProviderConfig.Request, context: Any
    ) -> pb.ValidateProviderConfig.Response:
        return pb.ValidateProviderConfig.Response(diagnostics=self._check(lambda: self.provider, request.config))

    def ConfigureProvider(self, request: pb.ConfigureProvider.Request, context: Any) -> pb.ConfigureProvider.Response:
        schema = self.provider.schema
        config: dict[str, Value] | None = None
        try:
            config = self._config(request.config, schema)
            self._provider_config = config
            log.debug("configuring provider", extra={"fields": {"terraform_version": request.terraform_version}})
            diags = self._diags(self.provider.configure(config), schema)
        except DiagnosticsError as exc:
            diags = self._diags(exc.diagnostics, schema)
        except Exception as exc:  # noqa: BLE001
            diags = [self._unexpected(exc, [config], schema)]
        return pb.ConfigureProvider.Response(diagnostics=diags)

    def StopProvider(self, request: pb.StopProvider.Request, context: Any) -> pb.StopProvider.Response:
        # Terraform asks this on interrupt (Ctrl-C): handlers should cut long waits short.
        try:
            self.provider.stop()
        except Exception as exc:  # noqa: BLE001
            return pb.StopProvider.Response(Error=f"{type(exc).__name__}: {exc}")
        return pb.StopProvider.Response()

    # -- managed resources -------------------------------------------------------------------

    def ValidateResourceConfig(
        self, request: pb.ValidateResourceConfig.Request, context: Any
    ) -> pb.ValidateResourceConfig.Response:
        caps = request.client_capabilities if request.HasField("client_capabilities") else None
        find = functools.partial(self._resource, request.type_name)
        return pb.ValidateResourceConfig.Response(diagnostics=self._check(find, request.config, caps, write_only=True))

    def UpgradeResourceState(
        self, request: pb.UpgradeResourceState.Request, context: Any
    ) -> pb.UpgradeResourceState.Response:
        raw: Any = None
        schema: Schema | None = None
        try:
            handler = self._resource(request.type_name)
            schema = handler.schema
            if not request.raw_state.json:
                if request.raw_state.flatmap:
                    return pb.UpgradeResourceState.Response(
                        diagnostics=[_error("Unsupported state format", "Flatmap (pre-0.12) state cannot be upgraded.")]
                    )
                return pb.UpgradeResourceState.Response(upgraded_state=_NULL)
            raw = json.loads(request.raw_state.json)
            if not isinstance(raw, dict):
                raise DiagnosticsError([Diagnostic("error", "Stored state is not an object")])
            raw = handler.upgrade_state(request.version, raw)
            state = codec.coerce_state(raw, schema)
            return pb.UpgradeResourceState.Response(upgraded_state=self._encode(state, schema))
        except DiagnosticsError as exc:
            return pb.UpgradeResourceState.Response(diagnostics=self._diags(exc.diagnostics, schema))
        except Exception as exc:  # noqa: BLE001
            return pb.UpgradeResourceState.Response(diagnostics=[self._unexpected(exc, [raw], schema)])

    def ReadResource(self, request: pb.ReadResource.Request, context: Any) -> pb.ReadResource.Response:
        state: dict[str, Value] | None = None
        schema: Schema | None = None
        try:
            handler = self._resource(request.type_name)
            schema = handler.schema
            state = self._state(request.current_state, schema)
            if state is None:
                return pb.ReadResource.Response(new_state=_NULL, private=request.private)
            result = handler.read(dict(state))
            diags = self._diags(result.diagnostics, schema)
            new_state = self._encode(result.state, schema)
            return pb.ReadResource.Response(new_state=new_state, diagnostics=diags, private=request.private)
        except DiagnosticsError as exc:
            diags = self._diags(exc.diagnostics, schema)
        except Exception as exc:  # noqa: BLE001
            diags = [self._unexpected(exc, [state], schema)]
        return pb.ReadResource.Response(new_state=request.current_state, diagnostics=diags, private=request.private)

    def PlanResourceChange(
        self, request: pb.PlanResourceChange.Request, context: Any
    ) -> pb.PlanResourceChange.Response:
        values: list[Value] = []
        schema: Schema | None = None
        try:
            handler = self._resource(request.type_name)
            schema = handler.schema
            proposed = self._state(request.proposed_new_state, schema)
            if proposed is None:  # destroy: the handler may only refuse it
                prior_state = self._state(request.prior_state, schema)
                values = [prior_state]
                refusals = handler.plan_delete(prior_state) if prior_state is not None else []
                return pb.PlanResourceChange.Response(
                    planned_state=request.proposed_new_state, planned_private=request.prior_private,
                    diagnostics=self._diags(refusals, schema),
                )
            prior = self._state(request.prior_state, schema)
            config = self._config(request.config, schema)
            values = [config, prior, proposed]
            caps = request.client_capabilities if request.HasField("client_capabilities") else None
            refused = self._write_only_refused(config, schema, caps)
            if refused:
                return pb.PlanResourceChange.Response(diagnostics=refused)
            result = handler.plan(prior, proposed, config)
            resp = pb.PlanResourceChange.Response(
                planned_state=self._encode(result.planned_state, schema),
                planned_private=request.prior_private,
                diagnostics=self._diags(result.diagnostics, schema),
            )
            resp.requires_replace.extend(path_to_proto(p, schema) for p in result.requires_replace)
            return resp
        except DiagnosticsError as exc:
            return pb.PlanResourceChange.Response(diagnostics=self._diags(exc.diagnostics, schema))
        except Exception as exc:  # noqa: BLE001
            return pb.PlanResourceChange.Response(diagnostics=[self._unexpected(exc, values, schema)])

    def ApplyResourceChange(
        self, request: pb.ApplyResourceChange.Request, context: Any
    ) -> pb.ApplyResourceChange.Response:
        values: list[Value] = []
        schema: Schema | None = None
        # On failure Terraform records whatever new_state says: the prior object for update and
        # delete (it still exists), null for create; unless the handler says what exists now
        # (DiagnosticsError.state: an object created before a later step failed is recorded, and
        # Terraform marks it tainted, rather than left behind as an orphan).
        on_error = request.prior_state if request.HasField("prior_state") else _NULL
        try:
            handler = self._resource(request.type_name)
            schema = handler.schema
            prior = self._state(request.prior_state, schema)
            planned = self._state(request.planned_state, schema)
            if prior is None:
                on_error = _NULL
            if planned is None:
                values = [prior]
                if prior is not None:
                    handler.delete(prior)
                return pb.ApplyResourceChange.Response(new_state=_NULL)
            config = self._config(request.config, schema)
            values = [config, prior, planned]
            if prior is None:
                result = handler.create(planned, config)
            else:
                result = handler.update(prior, planned, config)
            return pb.ApplyResourceChange.Response(
                new_state=self._encode(result.state, schema),
                private=request.planned_private,
                diagnostics=self._diags(result.diagnostics, schema),
            )
        except DiagnosticsError as exc:
            diags = self._diags(exc.diagnostics, schema)
            if exc.state is not None and schema is not None:
                on_error = self._encode(exc.state, schema)
        except Exception as exc:  # noqa: BLE001
            diags = [self._unexpected(exc, values, schema)]
        return pb.ApplyResourceChange.Response(new_state=on_error, private=request.planned_private, diagnostics=diags)

    def ImportResourceState(
        self, request: pb.ImportResourceState.Request, context: Any
    ) -> pb.ImportResourceState.Response:
        schema: Schema | None = None
        try:
            handler = self._resource(request.type_name)
            schema = handler.schema
            state = handler.import_(request.id)
            imported = pb.ImportResourceState.ImportedResource(
                type_name=request.type_name, state=self._encode(state, schema)
            )
            return pb.ImportResourceState.Response(imported_resources=[imported])
        except DiagnosticsError as exc:
            return pb.ImportResourceState.Response(diagnostics=self._diags(exc.diagnostics, schema))
        except Exception as exc:  # noqa: BLE001
            return pb.ImportResourceState.Response(diagnostics=[self._unexpected(exc, [request.id], schema)])

    def MoveResourceState(self, request: pb.MoveResourceState.Request, context: Any) -> pb.MoveResourceState.Response:
        return pb.MoveResourceState.Response(
            diagnostics=[_error("Moving resource state is not supported", "This provider has no state move handlers.")]
        )

    # -- data sources ------------------------------------------------------------------------

    def ValidateDataResourceConfig(
        self, request: pb.ValidateDataResourceConfig.Request, context: Any
    ) -> pb.ValidateDataResourceConfig.Response:
        # Write-only attributes belong to managed resources: no refusal rule applies here.
        find = functools.partial(self._data_source, request.type_name)
        return pb.ValidateDataResourceConfig.Response(diagnostics=self._check(find, request.config))

    def ReadDataSource(self, request: pb.ReadDataSource.Request, context: Any) -> pb.ReadDataSource.Response:
        """Read with the config as Terraform sent it, unknowns included.

        Terraform itself defers the read of a data source whose configuration is not wholly
        known (or depends on pending changes) to apply, so unknowns should not arrive; if they
        do, the handler sees UNKNOWN and Terraform rejects any unknown left in the result. The
        response never sets ``deferred``.
        """
        config: dict[str, Value] | None = None
        schema: Schema | None = None
        try:
            handler = self._data_source(request.type_name)
            schema = handler.schema
            config = self._config(request.config, schema)
            return pb.ReadDataSource.Response(state=self._encode(handler.read(dict(config)), schema))
        except DiagnosticsError as exc:
            diags = self._diags(exc.diagnostics, schema)
        except Exception as exc:  # noqa: BLE001
            diags = [self._unexpected(exc, [config], schema)]
        return pb.ReadDataSource.Response(diagnostics=diags)

    # -- what this provider does not have ------------------------------------------------------

    def ValidateEphemeralResourceConfig(
        self, request: pb.ValidateEphemeralResourceConfig.Request, context: Any
    ) -> pb.ValidateEphemeralResourceConfig.Response:
        return pb.ValidateEphemeralResourceConfig.Response(diagnostics=[_no("ephemeral resource", request.type_name)])

    def OpenEphemeralResource(
        self, request: pb.OpenEphemeralResource.Request, context: Any
    ) -> pb.OpenEphemeralResource.Response:
        return pb.OpenEphemeralResource.Response(diagnostics=[_no("ephemeral resource", request.type_name)])

    def RenewEphemeralResource(
        self, request: pb.RenewEphemeralResource.Request, context: Any
    ) -> pb.RenewEphemeralResource.Response:
        return pb.RenewEphemeralResource.Response(diagnostics=[_no("ephemeral resource", request.type_name)])

    def CloseEphemeralResource(
        self, request: pb.CloseEphemeralResource.Request, context: Any
    ) -> pb.CloseEphemeralResource.Response:
        return pb.CloseEphemeralResource.Response(diagnostics=[_no("ephemeral resource", request.type_name)])

    def GetFunctions(self, request: pb.GetFunctions.Request, context: Any) -> pb.GetFunctions.Response:
        return pb.GetFunctions.Response()

    def CallFunction(self, request: pb.CallFunction.Request, context: Any) -> pb.CallFunction.Response:
        return pb.CallFunction.Response(error=pb.FunctionError(text=f"This provider has no function {request.name!r}."))


def _no(kind: str, type_name: str) -> pb.Diagnostic:
    return _error(f"Unsupported {kind} type {type_name!r}", f"This provider has no {kind}s.")


# ------------------------------------------------------------------------------ registration


def provider_handler(servicer: ProviderServicer) -> grpc.GenericRpcHandler[Any, Any]:
    """The ``tfplugin6.Provider`` handler for an existing servicer (tests; ``serve`` is lazier)."""
    return service.provider_handler(lambda: servicer)
