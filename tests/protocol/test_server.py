"""The servicer's generic rules, called directly with protobuf requests (no network)."""

from __future__ import annotations

import json
import logging
from typing import Any

import msgpack
import pytest

from aep_provider.protocol import codec, server
from aep_provider.protocol import tfplugin6_pb2 as pb
from aep_provider.protocol.resource import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    DataSourceHandler,
    Diagnostic,
    DiagnosticsError,
    PlanResult,
    ProviderHandler,
    ReadResult,
    ResourceHandler,
    Schema,
    Value,
    error,
)

TYPE = "demo_thing"
SECRET = "sk-live-CANARY-4411"
WO_CAPS = pb.ClientCapabilities(write_only_attributes_allowed=True)


class Thing(ResourceHandler):
    type_name = TYPE
    schema = Schema(
        version=2,
        attributes=(
            Attribute("id", "string", computed=True),
            Attribute("name", "string", required=True),
            Attribute("labels", ["map", "string"], optional=True),
            Attribute("token_wo", "string", optional=True, sensitive=True, write_only=True),
            Attribute("etag", "string", computed=True),
        ),
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail: BaseException | None = None
        self.read_gone = False

    def _rec(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.fail is not None:
            raise self.fail

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        self._rec("check", config)
        return [Diagnostic("warning", "labels are ignored", path=("labels", "team"))] if config.get("labels") else []

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        self._rec("plan", prior, proposed, config)
        planned = dict(proposed, etag=UNKNOWN, token_wo=config.get("token_wo"))  # a careless handler
        if prior is None:
            planned["id"] = UNKNOWN
        return PlanResult(planned, requires_replace=[("name",)] if prior and prior["name"] != proposed["name"] else [])

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        self._rec("create", planned, config)
        return ApplyResult({"id": "t-1", "name": planned["name"], "etag": "e1", "token_wo": config["token_wo"]})

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        self._rec("update", prior, planned, config)
        return ApplyResult(dict(planned, etag="e2"))

    def read(self, state: dict[str, Value]) -> ReadResult:
        self._rec("read", state)
        return ReadResult(None if self.read_gone else dict(state, token_wo="from-remote"))

    def delete(self, state: dict[str, Value]) -> None:
        self._rec("delete", state)

    def import_(self, import_id: str) -> dict[str, Value]:
        self._rec("import", import_id)
        return {"id": import_id}

    def upgrade_state(self, version: int, state: dict[str, Value]) -> dict[str, Value]:
        self._rec("upgrade", version, state)
        if version < 2 and "title" in state:
            state["name"] = state.pop("title")
        return state


LOOKUP = "demo_lookup"
ROW = ["object", {"name": "string", "size": "number", "ok": "bool"}]


class Lookup(DataSourceHandler):
    type_name = LOOKUP
    schema = Schema(
        attributes=(
            Attribute("names", ["list", "string"], required=True),
            Attribute("token", "string", optional=True, sensitive=True),
            Attribute("rows", ["list", ROW], computed=True),
            Attribute("sizes", ["map", "string"], computed=True),
        ),
    )

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Value]]] = []
        self.fail: BaseException | None = None

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        self.calls.append(("check", config))
        if self.fail is not None:
            raise self.fail
        names = config["names"]
        if isinstance(names, list) and "" in names:
            return [Diagnostic("error", "empty name", path=("names", names.index("")))]
        return []

    def read(self, config: dict[str, Value]) -> dict[str, Value]:
        self.calls.append(("read", config))
        if self.fail is not None:
            raise self.fail
        names = config["names"]
        if not isinstance(names, list):
            raise error("names not known yet", path=("names",))
        rows: list[Value] = [{"name": n, "size": len(str(n)), "ok": n != "gone"} for n in names]
        return {"names": names, "rows": rows}  # token and sizes left out: the layer fills them null


class Provider(ProviderHandler):
    type_name = "demo"
    schema = Schema(attributes=(Attribute("api_key", "string", optional=True, sensitive=True),))

    def __init__(self) -> None:
        self.thing = Thing()
        self.lookup = Lookup()
        self.configured: dict[str, Value] | None = None
        self.stopped = False

    def configure(self, config: dict[str, Value]) -> list[Diagnostic]:
        self.configured = config
        return []

    def resources(self) -> dict[str, ResourceHandler]:
        return {TYPE: self.thing}

    def data_sources(self) -> dict[str, DataSourceHandler]:
        return {LOOKUP: self.lookup}

    def stop(self) -> None:
        self.stopped = True


OBJ = codec.object_type(Thing.schema)


def dv(value: Value) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=codec.encode_msgpack(value, OBJ))


def val(dynamic: pb.DynamicValue) -> Value:
    return codec.decode(dynamic, OBJ)


def raw(dynamic: pb.DynamicValue) -> Any:
    """The wire content itself, to prove what Terraform would see."""
    return msgpack.unpackb(dynamic.msgpack, ext_hook=lambda code, data: f"<ext {code}>")


@pytest.fixture
def provider() -> Provider:
    return Provider()


@pytest.fixture
def svc(provider: Provider) -> server.ProviderServicer:
    return server.ProviderServicer(provider)


STATE = {"id": "t-1", "name": "n", "labels": None, "token_wo": None, "etag": "e1"}


def test_schema_and_metadata(svc: server.ProviderServicer) -> None:
    resp = svc.GetProviderSchema(pb.GetProviderSchema.Request(), None)
    assert not resp.diagnostics
    # plan_destroy: Terraform plans every destroy with the provider, so a handler may refuse one.
    assert resp.server_capabilities.get_provider_schema_optional and resp.server_capabilities.plan_destroy
    thing = resp.resource_schemas[TYPE]
    assert thing.version == 2
    assert [a.name for a in thing.block.attributes if a.write_only] == ["token_wo"]
    assert resp.provider.block.attributes[0].sensitive
    lookup = resp.data_source_schemas[LOOKUP]
    by_name = {a.name: a for a in lookup.block.attributes}
    assert json.loads(by_name["rows"].type) == ["list", ROW] and by_name["rows"].computed
    assert list(resp.data_source_schemas) == [LOOKUP] and LOOKUP not in resp.resource_schemas
    meta = svc.GetMetadata(pb.GetMetadata.Request(), None)
    assert [r.type_name for r in meta.resources] == [TYPE]
    assert [d.type_name for d in meta.data_sources] == [LOOKUP]


def test_configure_and_validate_provider(svc: server.ProviderServicer, provider: Provider) -> None:
    config = pb.DynamicValue(msgpack=msgpack.packb({"api_key": "k"}))
    assert not svc.ValidateProviderConfig(pb.ValidateProviderConfig.Request(config=config), None).diagnostics
    svc.ConfigureProvider(pb.ConfigureProvider.Request(config=config, terraform_version="1.11.4"), None)
    assert provider.configured == {"api_key": "k"}


def test_validate_passes_write_only_in_config(svc: server.ProviderServicer, provider: Provider) -> None:
    req = pb.ValidateResourceConfig.Request(
        type_name=TYPE, config=dv({"name": "n", "token_wo": SECRET}), client_capabilities=WO_CAPS
    )
    assert not svc.ValidateResourceConfig(req, None).diagnostics
    assert provider.thing.calls[0][1][0]["token_wo"] == SECRET


def test_write_only_refused_without_client_capability(svc: server.ProviderServicer, provider: Provider) -> None:
    for caps in (None, pb.ClientCapabilities(write_only_attributes_allowed=False)):
        req = pb.ValidateResourceConfig.Request(type_name=TYPE, config=dv({"name": "n", "token_wo": SECRET}))
        if caps is not None:
            req.client_capabilities.CopyFrom(caps)
        (diag,) = svc.ValidateResourceConfig(req, None).diagnostics
        assert diag.severity == pb.Diagnostic.ERROR and "Write-only" in diag.summary
        assert diag.attribute.steps[0].attribute_name == "token_wo"
        assert SECRET not in diag.detail
    plan = svc.PlanResourceChange(
        pb.PlanResourceChange.Request(
            type_name=TYPE,
            prior_state=dv(None),
            proposed_new_state=dv({"name": "n"}),
            config=dv({"name": "n", "token_wo": SECRET}),
        ),
        None,
    )
    assert plan.diagnostics and not plan.HasField("planned_state")
    assert [c for c, _ in provider.thing.calls] == []  # the handler never saw it
    # Unset write-only attributes are fine without the capability.
    ok = pb.ValidateResourceConfig.Request(type_name=TYPE, config=dv({"name": "n"}))
    assert not svc.ValidateResourceConfig(ok, None).diagnostics


def test_plan_create_nulls_write_only_and_keeps_private(svc: server.ProviderServicer, provider: Provider) -> None:
    resp = svc.PlanResourceChange(
        pb.PlanResourceChange.Request(
            type_name=TYPE,
            prior_state=dv(None),
            proposed_new_state=dv({"name": "n"}),
            config=dv({"name": "n", "token_wo": SECRET}),
            prior_private=b"priv",
            client_capabilities=WO_CAPS,
        ),
        None,
    )
    assert not resp.diagnostics
    wire = raw(resp.planned_state)
    assert wire["token_wo"] is None and wire["id"] == "<ext 0>" and wire["etag"] == "<ext 0>"
    assert set(wire) == {a.name for a in Thing.schema.attributes}
    assert resp.planned_private == b"priv"
    name, (prior, proposed, config) = provider.thing.calls[0]
    assert name == "plan" and prior is None and proposed["token_wo"] is None and config["token_wo"] == SECRET


def test_plan_update_requires_replace_path(svc: server.ProviderServicer) -> None:
    resp = svc.PlanResourceChange(
        pb.PlanResourceChange.Request(
            type_name=TYPE,
            prior_state=dv(STATE),
            proposed_new_state=dv(dict(STATE, name="m")),
            config=dv({"name": "m"}),
            client_capabilities=WO_CAPS,
        ),
        None,
    )
    (path,) = resp.requires_replace
    assert path.steps[0].attribute_name == "name"


def test_plan_destroy_never_reaches_the_handler(svc: server.ProviderServicer, provider: Provider) -> None:
    proposed = dv(None)
    resp = svc.PlanResourceChange(
        pb.PlanResourceChange.Request(
            type_name=TYPE, prior_state=dv(STATE), proposed_new_state=proposed, config=dv(None), prior_private=b"p"
        ),
        None,
    )
    assert resp.planned_state == proposed and resp.planned_private == b"p"
    assert provider.thing.calls == []


def test_a_handler_may_refuse_a_destroy_at_plan(svc: server.ProviderServicer, provider: Provider,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provider.thing, "plan_delete", lambda prior: [Diagnostic("error", "Holds data", prior["id"])])
    resp = svc.PlanResourceChange(pb.PlanResourceChange.Request(
        type_name=TYPE, prior_state=dv(STATE), proposed_new_state=dv(None), config=dv(None)), None)
    [refusal] = resp.diagnostics
    assert (refusal.severity, refusal.summary, refusal.detail) == (pb.Diagnostic.ERROR, "Holds data", "t-1")


def test_apply_create_update_delete(svc: server.ProviderServicer, provider: Provider) -> None:
    created = svc.ApplyResourceChange(
        pb.ApplyResourceChange.Request(
            type_name=TYPE,
            prior_state=dv(None),
            planned_state=dv({"name": "n", "id": UNKNOWN, "etag": UNKNOWN}),
            config=dv({"name": "n", "token_wo": SECRET}),
            planned_private=b"pp",
        ),
        None,
    )
    assert not created.diagnostics and created.private == b"pp"
    assert val(created.new_state) == STATE  # token_wo nulled although the handler returned it
    assert SECRET.encode() not in created.new_state.msgpack
    assert provider.thing.calls[-1][1][1]["token_wo"] == SECRET  # config reached create

    updated = svc.ApplyResourceChange(
        pb.ApplyResourceChange.Request(
            type_name=TYPE, prior_state=dv(STATE), planned_state=dv(dict(STATE, etag=UNKNOWN)), config=dv({"name": "n"})
        ),
        None,
    )
    assert val(updated.new_state)["etag"] == "e2" and provider.thing.calls[-1][0] == "update"

    deleted = svc.ApplyResourceChange(
        pb.ApplyResourceChange.Request(type_name=TYPE, prior_state=dv(STATE), planned_state=dv(None)), None
    )
    assert deleted.new_state.msgpack == b"\xc0" and not deleted.diagnostics
    assert provider.thing.calls[-1] == ("delete", (STATE,))


def test_read_nulls_write_only_and_gone_means_null(svc: server.ProviderServicer, provider: Provider) -> None:
    req = pb.ReadResource.Request(type_name=TYPE, current_state=dv(STATE), private=b"x")
    resp = svc.ReadResource(req, None)
    assert val(resp.new_state)["token_wo"] is None and resp.private == b"x"
    provider.thing.read_gone = True
    resp = svc.ReadResource(req, None)
    assert resp.new_state.msgpack == b"\xc0" and not resp.diagnostics


def test_import_fills_every_attribute(svc: server.ProviderServicer) -> None:
    resp = svc.ImportResourceState(pb.ImportResourceState.Request(type_name=TYPE, id="t-9"), None)
    (imported,) = resp.imported_resources
    assert imported.type_name == TYPE
    assert raw(imported.state) == {"id": "t-9", "name": None, "labels": None, "token_wo": None, "etag": None}


def test_upgrade_from_json(svc: server.ProviderServicer, provider: Provider) -> None:
    stored = {"id": "t-1", "title": "old name", "obsolete": 1, "token_wo": "should-not-be-here"}
    resp = svc.UpgradeResourceState(
        pb.UpgradeResourceState.Request(
            type_name=TYPE, version=1, raw_state=pb.RawState(json=json.dumps(stored).encode())
        ),
        None,
    )
    assert not resp.diagnostics
    assert raw(resp.upgraded_state) == {"id": "t-1", "name": "old name", "labels": None, "token_wo": None, "etag": None}
    assert provider.thing.calls[0][0] == "upgrade" and provider.thing.calls[0][1][0] == 1
    flat = svc.UpgradeResourceState(
        pb.UpgradeResourceState.Request(type_name=TYPE, raw_state=pb.RawState(flatmap={"id": "x"})), None
    )
    assert flat.diagnostics[0].severity == pb.Diagnostic.ERROR


def test_diagnostics_error_with_map_path(svc: server.ProviderServicer, provider: Provider) -> None:
    provider.thing.fail = DiagnosticsError(
        [Diagnostic("error", "bad label", "detail here", ("labels", "team")), Diagnostic("warning", "hmm")]
    )
    resp = svc.ValidateResourceConfig(
        pb.ValidateResourceConfig.Request(type_name=TYPE, config=dv({"name": "n"}), client_capabilities=WO_CAPS), None
    )
    first, second = resp.diagnostics
    assert first.severity == pb.Diagnostic.ERROR and first.summary == "bad label" and first.detail == "detail here"
    assert [s.WhichOneof("selector") for s in first.attribute.steps] == ["attribute_name", "element_key_string"]
    assert first.attribute.steps[1].element_key_string == "team"
    assert second.severity == pb.Diagnostic.WARNING and not second.HasField("attribute")


def test_path_to_proto_list_index() -> None:
    schema = Schema(attributes=(Attribute("ports", ["list", "number"]),))
    steps = server.path_to_proto(("ports", 2), schema).steps
    assert steps[1].element_key_int == 2


def test_unexpected_exception_never_echoes_config(
    svc: server.ProviderServicer, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    provider.thing.fail = ValueError(f"cannot use token {SECRET} for name my-thing-name")
    with caplog.at_level(logging.DEBUG, logger="aep"):
        resp = svc.ApplyResourceChange(
            pb.ApplyResourceChange.Request(
                type_name=TYPE,
                prior_state=dv(None),
                planned_state=dv({"name": "my-thing-name"}),
                config=dv({"name": "my-thing-name", "token_wo": SECRET}),
            ),
            None,
        )
    (diag,) = resp.diagnostics
    assert diag.summary.startswith("ValueError: cannot use token ***")
    assert SECRET not in diag.summary + diag.detail and "my-thing-name" not in diag.summary
    assert resp.new_state.msgpack == b"\xc0"  # create failed: nothing in state


def test_update_failure_keeps_prior_state(svc: server.ProviderServicer, provider: Provider) -> None:
    provider.thing.fail = error("conflict", "etag mismatch")
    prior = dv(STATE)
    resp = svc.ApplyResourceChange(
        pb.ApplyResourceChange.Request(type_name=TYPE, prior_state=prior, planned_state=dv(STATE), config=dv({})), None
    )
    assert resp.new_state == prior and resp.diagnostics[0].summary == "conflict"
    resp = svc.ApplyResourceChange(
        pb.ApplyResourceChange.Request(type_name=TYPE, prior_state=prior, planned_state=dv(None)), None
    )
    assert resp.new_state == prior  # delete failed: the object is still there


def test_redact_short_and_sensitive_values() -> None:
    values = [{"name": "ab", "token_wo": "xyz", "nested": {"k": ["longer-value"]}}]
    text = server.redact("ab xyz longer-value", values)
    assert text == "ab xyz ***"  # short strings are not hunted in general...
    diag = server.exception_diagnostic(RuntimeError("got xyz"), values, Thing.schema)
    assert diag.summary == "RuntimeError: got ***"  # ...but sensitive/write-only ones are


def test_unknown_type_and_unsupported_rpcs(svc: server.ProviderServicer) -> None:
    resp = svc.ReadResource(pb.ReadResource.Request(type_name="nope", current_state=dv(STATE)), None)
    assert "Unsupported resource type" in resp.diagnostics[0].summary
    assert svc.ReadDataSource(pb.ReadDataSource.Request(type_name="x"), None).diagnostics
    assert svc.ValidateDataResourceConfig(pb.ValidateDataResourceConfig.Request(type_name="x"), None).diagnostics
    assert svc.OpenEphemeralResource(pb.OpenEphemeralResource.Request(type_name="x"), None).diagnostics
    assert svc.MoveResourceState(pb.MoveResourceState.Request(), None).diagnostics
    assert svc.CallFunction(pb.CallFunction.Request(name="f"), None).error.text
    assert not svc.GetFunctions(pb.GetFunctions.Request(), None).functions


def test_stop_provider(svc: server.ProviderServicer, provider: Provider) -> None:
    resp = svc.StopProvider(pb.StopProvider.Request(), None)
    assert resp.Error == "" and provider.stopped


def test_unexpected_exception_never_echoes_provider_credentials(
    svc: server.ProviderServicer, provider: Provider
) -> None:
    config = pb.DynamicValue(msgpack=msgpack.packb({"api_key": "pk-XYZ"}))
    svc.ConfigureProvider(pb.ConfigureProvider.Request(config=config), None)
    provider.thing.fail = RuntimeError("401 for key pk-XYZ")
    resp = svc.ReadResource(pb.ReadResource.Request(type_name=TYPE, current_state=dv(STATE)), None)
    assert resp.diagnostics[0].summary == "RuntimeError: 401 for key ***"


# ------------------------------------------------------------------------------ data sources

LOOKUP_OBJ = codec.object_type(Lookup.schema)


def lookup_dv(value: Value) -> pb.DynamicValue:
    return pb.DynamicValue(msgpack=codec.encode_msgpack(value, LOOKUP_OBJ))


def test_validate_data_source_sees_unknowns_and_paths_into_lists(
    svc: server.ProviderServicer, provider: Provider
) -> None:
    req = pb.ValidateDataResourceConfig.Request(type_name=LOOKUP, config=lookup_dv({"names": ["a", UNKNOWN]}))
    assert not svc.ValidateDataResourceConfig(req, None).diagnostics
    assert provider.lookup.calls == [("check", {"names": ["a", UNKNOWN], "token": None, "rows": None, "sizes": None})]
    req = pb.ValidateDataResourceConfig.Request(type_name=LOOKUP, config=lookup_dv({"names": ["a", ""]}))
    (diag,) = svc.ValidateDataResourceConfig(req, None).diagnostics
    assert diag.summary == "empty name"
    assert [(s.attribute_name, s.element_key_int) for s in diag.attribute.steps] == [("names", 0), ("", 1)]


def test_read_data_source_returns_the_whole_object(svc: server.ProviderServicer, provider: Provider) -> None:
    req = pb.ReadDataSource.Request(type_name=LOOKUP, config=lookup_dv({"names": ["ab", "gone"], "token": SECRET}))
    resp = svc.ReadDataSource(req, None)
    assert not resp.diagnostics and not resp.HasField("deferred")
    assert raw(resp.state) == {
        "names": ["ab", "gone"],
        "token": None,
        "rows": [{"name": "ab", "size": 2, "ok": True}, {"name": "gone", "size": 4, "ok": False}],
        "sizes": None,
    }
    assert provider.lookup.calls[0][1]["token"] == SECRET


def test_read_data_source_passes_unknown_config_through(svc: server.ProviderServicer, provider: Provider) -> None:
    # Terraform defers such reads to apply; should one arrive, the handler decides what it means.
    resp = svc.ReadDataSource(pb.ReadDataSource.Request(type_name=LOOKUP, config=lookup_dv({"names": UNKNOWN})), None)
    (diag,) = resp.diagnostics
    assert diag.summary == "names not known yet" and not resp.HasField("state")
    assert provider.lookup.calls == [("read", {"names": UNKNOWN, "token": None, "rows": None, "sizes": None})]


def test_read_data_source_failures_become_diagnostics(svc: server.ProviderServicer, provider: Provider) -> None:
    provider.lookup.fail = error("not found", "no such name", ("names", 0))
    req = pb.ReadDataSource.Request(type_name=LOOKUP, config=lookup_dv({"names": ["my-lookup-name"], "token": "tk"}))
    (diag,) = svc.ReadDataSource(req, None).diagnostics
    assert diag.summary == "not found" and diag.attribute.steps[1].element_key_int == 0
    provider.lookup.fail = RuntimeError("lookup my-lookup-name with tk failed")
    resp = svc.ReadDataSource(req, None)
    (diag,) = resp.diagnostics
    assert diag.summary == "RuntimeError: lookup *** with *** failed" and not resp.HasField("state")
    (diag,) = svc.ValidateDataResourceConfig(
        pb.ValidateDataResourceConfig.Request(type_name=LOOKUP, config=req.config), None
    ).diagnostics
    assert "my-lookup-name" not in diag.summary


def test_unknown_data_source_type(svc: server.ProviderServicer) -> None:
    (diag,) = svc.ReadDataSource(pb.ReadDataSource.Request(type_name=TYPE, config=dv({})), None).diagnostics
    assert diag.summary == f"Unsupported data source type {TYPE!r}"
    req = pb.ValidateDataResourceConfig.Request(type_name="nope")
    assert "Unsupported data source type" in svc.ValidateDataResourceConfig(req, None).diagnostics[0].summary


def test_bad_result_from_a_data_source_is_a_diagnostic(svc: server.ProviderServicer, provider: Provider) -> None:
    provider.lookup.read = lambda config: {"names": config["names"], "rows": [{"name": 7}]}  # type: ignore[method-assign]
    resp = svc.ReadDataSource(pb.ReadDataSource.Request(type_name=LOOKUP, config=lookup_dv({"names": []})), None)
    assert resp.diagnostics[0].summary == "CodecError: rows.0.name: expected string, got int"
