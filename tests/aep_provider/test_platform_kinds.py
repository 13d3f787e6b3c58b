"""The Schema Registry, Catalog and Data Prep kinds (and their look-ups by name) against the real local
AEP through the real client, without Terraform: what the fixes of the tutorial's end-to-end run
rest on, one behaviour each, counted on the server side.
"""

from __future__ import annotations

from typing import Any

import pytest

from aep_client import FlowServiceClient
from aep_client.catalog import CLAIM_TAG, dataset_record
from aep_client.kinds import DATASETS, SCHEMAS
from aep_local.testing import DEFAULT_CLIENT_ID, LocalAep
from aep_provider.data_sources.dataset import DatasetLookup
from aep_provider.data_sources.xdm_schema import XdmSchemaLookup
from aep_provider.protocol.resource import UNKNOWN, DiagnosticsError, Value
from aep_provider.resources.context import ResourceContext
from aep_provider.resources.dataset import Dataset
from aep_provider.resources.flow_object import FlowObject, attribute_path
from aep_provider.resources.mapping_set import MappingSet, line_violations
from aep_provider.resources.ownership import OwnershipJournal
from aep_provider.resources.xdm_schema import XdmSchema
from aep_spec import xdm
from tests.aep_client import test_local_aep
from tests.aep_provider.fake_api import MemoryStore
from tests.aep_provider.test_ingestion_resources import blank, proposed_from

#: The local AEP of the module and a client of it (the fixtures of the client's integration tests).
server, svc, client = test_local_aep.server, test_local_aep.svc, test_local_aep.client
SEEDED_SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
CRM_SCHEMA = "https://ns.adobe.com/acme/schemas/7c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f"
FIELDS = {"orderId": "string", "total": "number"}


@pytest.fixture
def journal() -> OwnershipJournal:
    return OwnershipJournal(MemoryStore())


def configured(handler: FlowObject, client: FlowServiceClient, journal: OwnershipJournal) -> Any:
    """``handler`` as ConfigureProvider leaves it: the real client, a fresh inventory, this journal."""
    handler.configure(ResourceContext(lambda: client, "prod", DEFAULT_CLIENT_ID, journal))
    return handler


def created(handler: FlowObject, **config: Value) -> dict[str, Value]:
    """Plan and apply a create, as Terraform would."""
    cfg = blank(handler) | config
    planned = handler.plan(None, proposed_from(handler, blank(handler), cfg), cfg).planned_state
    return handler.create(planned, cfg).state


def since(server: LocalAep) -> list[str]:
    """The API calls since the last reset (IMS left out)."""
    return [f"{r['method']} {r['template']}" for r in server.requests() if not r["template"].startswith(("/ims",
                                                                                                        "/__local"))]


def test_an_imported_schema_knows_its_field_group_from_one_get(
        server: LocalAep, client: FlowServiceClient, journal: OwnershipJournal) -> None:
    """The resolved read has no allOf: the field group is found in meta:extends, and the import
    records it as this state's, as the create did."""
    made = created(configured(XdmSchema(), client, journal), name="Imported schema", fields=FIELDS)
    fresh = configured(XdmSchema(), client, OwnershipJournal(MemoryStore()))
    server.reset_requests()
    read = fresh.read(fresh.import_(str(made["id"]))).state
    assert since(server) == ["GET /schemaregistry/tenant/schemas/{id}"]
    assert read is not None and read["field_group_id"] == made["field_group_id"] and read["fields"] == FIELDS
    claim = fresh.context.journal.claim("tenant/fieldgroups", "prod", "Imported schema fields")
    assert claim is not None and claim.object_id == made["field_group_id"]


def test_a_renamed_schema_renames_its_field_group_and_its_claim(
        server: LocalAep, client: FlowServiceClient, journal: OwnershipJournal) -> None:
    handler = configured(XdmSchema(), client, journal)
    prior = created(handler, name="Before rename", fields=FIELDS)
    cfg = dict(prior, name="After rename")
    planned = handler.plan(prior, proposed_from(handler, prior, cfg), cfg).planned_state
    assert planned["field_group_version"] is UNKNOWN and planned["paths"] == prior["paths"]
    server.reset_requests()
    done = handler.update(prior, planned, cfg).state
    assert sorted(since(server)) == ["PATCH /schemaregistry/tenant/fieldgroups/{id}",
                                     "PATCH /schemaregistry/tenant/schemas/{id}"]
    assert client.registry.get(handler.group.kind, str(prior["field_group_id"]))["name"] == "After rename fields"
    assert journal.claim("tenant/fieldgroups", "prod", "Before rename fields") is None
    held = journal.claim("tenant/fieldgroups", "prod", "After rename fields")
    assert held is not None and held.object_id == prior["field_group_id"] and done["field_group_version"] != "1.0"


def test_a_new_field_leaves_the_other_paths_known(client: FlowServiceClient, journal: OwnershipJournal) -> None:
    """Mapping lines to kept fields show no change; the new field's path is known after apply."""
    handler = configured(XdmSchema(), client, journal)
    prior = created(handler, name="Growing schema", fields=FIELDS)
    cfg = dict(prior, fields=FIELDS | {"channel": "string"})
    planned = handler.plan(prior, proposed_from(handler, prior, cfg), cfg).planned_state
    assert planned["paths"] == {"orderId": "_acme.orderId", "total": "_acme.total", "channel": UNKNOWN}


def test_a_dataset_is_adopted_by_its_claim_tag_and_by_nothing_else(
        client: FlowServiceClient, journal: OwnershipJournal) -> None:
    """A create began (its claim in the journal), then a dataset of that name appears: without the
    claim's tag it is someone else's (refused), with it it is the lost create's (adopted)."""
    claim = journal.begin("dataSets", "prod", "Claimed dataset", DEFAULT_CLIENT_ID)
    body = {"name": "Claimed dataset", "schemaRef": {"id": SEEDED_SCHEMA, "contentType": "application/json"}}
    client.catalog.create(DATASETS, body)
    handler = configured(Dataset(), client, journal)
    cfg = blank(handler) | {"name": "Claimed dataset", "schema_id": SEEDED_SCHEMA}
    with pytest.raises(DiagnosticsError, match="already exists"):
        handler.plan(None, proposed_from(handler, blank(handler), cfg), cfg)

    client.catalog.delete(DATASETS, handler.inventory.named("Claimed dataset")[0]["id"])
    mine = client.catalog.create(DATASETS, body | {"tags": {CLAIM_TAG: [claim.token]}})
    handler = configured(Dataset(), client, journal)
    result = handler.plan(None, proposed_from(handler, blank(handler), cfg), cfg)
    assert [d.summary for d in result.diagnostics] == ["The dataset 'Claimed dataset' already exists and will be "
                                                       "adopted"]
    assert handler.create(result.planned_state, cfg).state["id"] == mine.id


def test_a_dataset_record_carries_its_claim_tag() -> None:
    assert dataset_record("d1", {"name": "n", "tags": {CLAIM_TAG: ["t-1"], "other": ["x"]}})["claim"] == "t-1"
    assert dataset_record("d1", {"name": "n", "tags": {"other": ["x"]}})["claim"] == ""
    assert dataset_record("d1", {"name": "n"})["claim"] == ""


def test_deletion_protection_counts_the_records_of_the_batches(
        client: FlowServiceClient, journal: OwnershipJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = configured(Dataset(), client, journal)
    prior = {"id": "64d0a1b2c3d4e5f6a7b8c9d2", "name": "Orders", "deletion_protection": True}
    batches = [{"metrics": {"recordsWritten": 70}}, {"metrics": {"recordsWritten": 5}}, {"metrics": {}}]
    monkeypatch.setattr(client.catalog, "batches", lambda dataset_id: batches)
    [refusal] = handler.plan_delete(prior)
    assert refusal.summary == "Dataset 'Orders' holds data and would be deleted"
    assert "holds 75 record(s) in 3 batch(es)" in refusal.detail and refusal.path == ("deletion_protection",)
    assert handler.plan_delete(dict(prior, deletion_protection=False)) == []
    monkeypatch.setattr(client.catalog, "batches", lambda dataset_id: [{"metrics": {"recordsWritten": 0}}])
    assert handler.plan_delete(prior) == []


def test_a_mapping_line_is_judged_in_the_configurations_words() -> None:
    """Attribute names of the configuration (not Data Prep's), the value declared, and the rest of a
    line still checked while its destination is not known yet."""
    [violation] = line_violations({"source": "a", "destination": UNKNOWN, "source_type": "SQL"}, "mappings[3]")
    assert violation.described() == "mappings[3].source_type: must be one of ATTRIBUTE, EXPRESSION, STATIC; " \
                                    "value: 'SQL'"
    assert line_violations({"source": "a", "destination": "_acme.a", "source_type": None}, "mappings[0]") == []
    [empty] = line_violations({"source": "", "destination": "_acme.a", "source_type": "STATIC"}, "mappings[1]")
    assert empty.field == "mappings[1].source"


def test_a_violation_points_at_the_attribute_terraform_can_show() -> None:
    assert attribute_path("schema_id") == ("schema_id",)
    assert attribute_path("fields.orderId") == ("fields", "orderId")
    assert attribute_path("mappings[2].source") == ("mappings",)


def test_a_look_up_shares_its_kinds_listing_and_wants_exactly_one(
        server: LocalAep, client: FlowServiceClient, journal: OwnershipJournal) -> None:
    kind = configured(Dataset(), client, journal)
    lookup = DatasetLookup(kind)
    lookup.configure(kind.context)
    body = {"name": "Twice listed", "schemaRef": {"id": SEEDED_SCHEMA, "contentType": "application/json"}}
    ids = [client.catalog.create(DATASETS, body).id for _ in range(2)]
    server.reset_requests()
    found = lookup.read({"name": "Acme Orders (prod)"})
    assert found["id"] == "64d0a1b2c3d4e5f6a7b8c9d2" and found["schema_id"] == SEEDED_SCHEMA
    with pytest.raises(DiagnosticsError) as several:
        lookup.read({"name": "Twice listed"})
    assert kind.inventory.named("Acme Orders (prod)")  # the resource's own look-up: no second listing
    assert since(server) == ["GET /catalog/dataSets"]
    [diagnostic] = several.value.diagnostics
    assert diagnostic.summary == "2 datasets named 'Twice listed' in sandbox 'prod'"
    assert all(i in diagnostic.detail for i in ids) and diagnostic.path == ("name",)
    schemas = XdmSchemaLookup(configured(XdmSchema(), client, journal))
    schemas.configure(kind.context)
    with pytest.raises(DiagnosticsError, match="No XDM schema named 'Nowhere' in sandbox 'prod'"):
        schemas.read({"name": "Nowhere"})


def test_fields_cannot_be_given_to_a_schema_of_global_field_groups_only(
        client: FlowServiceClient, journal: OwnershipJournal) -> None:
    """An imported schema without a field group of the tenant: a change of fields is one clear error."""
    made = client.registry.create(SCHEMAS, {"title": "Global groups only", "type": "object", "allOf": [
        {"$ref": xdm.PROFILE_CLASS}, {"$ref": "https://ns.adobe.com/xdm/context/profile-person-details"}]})
    handler = configured(XdmSchema(), client, journal)
    prior = handler.read(handler.import_(made.id)).state
    assert prior is not None and prior["field_group_id"] is None and prior["fields"] == {}
    cfg = dict(prior, fields={"orderId": "string"})
    planned = handler.plan(prior, proposed_from(handler, prior, cfg), cfg).planned_state
    with pytest.raises(DiagnosticsError, match="'Global groups only' has no tenant field group"):
        handler.update(prior, planned, cfg)
    renamed = dict(prior, name="Global groups only, renamed")
    planned = handler.plan(prior, proposed_from(handler, prior, renamed), renamed).planned_state
    done = handler.update(prior, planned, renamed).state
    assert done["name"] == "Global groups only, renamed" and UNKNOWN not in done.values()


def test_a_mapping_set_moved_to_another_schema_has_its_lines_checked_against_it(
        client: FlowServiceClient, journal: OwnershipJournal) -> None:
    handler = configured(MappingSet(), client, journal)
    line = {"source": "order_id", "destination": "_acme.orderId", "source_type": "ATTRIBUTE"}
    prior = created(handler, name="Moving mapping", schema_id=SEEDED_SCHEMA, mappings=[line])
    cfg = dict(prior, schema_id=CRM_SCHEMA)
    with pytest.raises(DiagnosticsError) as refused:
        handler.plan(prior, proposed_from(handler, prior, cfg), cfg)
    [diagnostic] = refused.value.diagnostics
    assert diagnostic.summary == "Invalid mappings[0].destination" and CRM_SCHEMA in diagnostic.detail
