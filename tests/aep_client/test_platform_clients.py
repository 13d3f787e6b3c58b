"""The Schema Registry, Catalog and Data Prep clients when an answer is lost, against the real local
AEP: a failure names the service that failed (not Flow Service), and a create whose answer never
came is found by the key of its kind, never sent twice.
"""

from __future__ import annotations

import pytest

from aep_client import AmbiguousCreateError, FlowServiceClient, OutcomeUnknownError
from aep_client.catalog import CLAIM_TAG
from aep_client.kinds import DATASETS, FIELD_GROUPS
from aep_local.testing import LocalAep
from aep_spec import xdm
from tests.aep_client import test_local_aep

#: The local AEP of the module and a client of it (the fixtures of the client's integration tests).
server, svc, client = test_local_aep.server, test_local_aep.svc, test_local_aep.client
SCHEMA = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"


def dataset_body(name: str, token: str) -> dict[str, object]:
    return {"name": name, "schemaRef": {"id": SCHEMA, "contentType": "application/json"}, "tags": {CLAIM_TAG: [token]}}


def test_a_lost_patch_answer_is_said_in_the_registrys_name(server: LocalAep, client: FlowServiceClient) -> None:
    """The Registry documents no If-Match: a PATCH whose answer is lost is not re-sent, and the
    error says which service may have applied it."""
    group = client.registry.create(FIELD_GROUPS, {
        "title": "Lost patch fields", "type": "object", "meta:intendedToExtend": [xdm.PROFILE_CLASS],
        "definitions": {"f": {"properties": {"_acme": {"type": "object", "properties": {
            "a": {"type": "string"}}}}}}, "allOf": [{"$ref": "#/definitions/f"}]})
    server.set_faults(templates=["/schemaregistry/tenant/fieldgroups/{id}"], methods=["PATCH"], script=["commit-drop"])
    with pytest.raises(OutcomeUnknownError) as lost:
        client.registry.update(FIELD_GROUPS, group.id, group.etag, [{"op": "add", "path": "/description",
                                                                     "value": "x"}])
    assert lost.value.service == "Schema Registry" and str(lost.value).startswith("Schema Registry PATCH /tenant/")


def test_a_dataset_whose_answer_is_lost_is_found_by_its_tag(server: LocalAep, client: FlowServiceClient) -> None:
    server.set_faults(templates=["/catalog/dataSets"], methods=["POST"], script=["commit-drop"])
    server.reset_requests()
    ref = client.catalog.create(DATASETS, dataset_body("Lost answer", "token-1"))
    assert ref.adopted and client.catalog.get(DATASETS, ref.id)["claim"] == "token-1"
    assert [r["method"] for r in server.requests() if r["template"] == "/catalog/dataSets"] == ["POST", "GET"]


def test_a_create_refused_before_it_was_made_is_not_sent_twice_and_names_catalog(
        server: LocalAep, client: FlowServiceClient) -> None:
    server.set_faults(templates=["/catalog/dataSets"], methods=["POST"], script=["503"])
    server.reset_requests()
    with pytest.raises(AmbiguousCreateError) as unknown:
        client.catalog.create(DATASETS, dataset_body("Never made", "token-2"))
    assert str(unknown.value).startswith("Catalog POST /dataSets: ") and "0 object(s) match it" in str(unknown.value)
    assert [r["method"] for r in server.requests() if r["template"] == "/catalog/dataSets"] == ["POST", "GET"]
