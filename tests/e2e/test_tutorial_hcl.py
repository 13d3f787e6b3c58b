"""The README's whole tutorial in plain HCL, through the real Terraform CLI, against the local AEP with
its local S3 API: base connection, source connection, XDM schema, dataset, target connection,
mapping set and dataflow in one configuration, checked from both sides after each step (what the
four services hold and what state records) and by the calls each operation made.

Steps: create, and a scheduled run lands the sample files' records in the dataset; an additive
schema change with a new mapping line (the dataflow follows the new version in the same apply); a
breaking change refused at plan; the dataset's removal refused by deletion protection, then allowed;
drift of each new kind corrected; import of each new kind; a second state declaring the same names
refused; destroy in dependency order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aep_client.catalog import CLAIM_TAG
from aep_local.testing import LocalAep
from tests.conftest import ORG_ID
from tests.e2e.edits import edited
from tests.e2e.tutorial import (
    FIELDS,
    LINES,
    PREAMBLE,
    TYPES,
    Platform,
    Tutorial,
    calls,
    plan,
    run,
    sample_rows,
    state,
    tutorial_env,
    writes,
    written,
)

pytestmark = pytest.mark.e2e

REGISTRY, CATALOG, PREP = "/schemaregistry/tenant", "/catalog", "/conversion"
#: The tutorial after its additive change: a new field, and a constant mapped to it.
GROWN = Tutorial(fields={**FIELDS, "channel": "string"}, lines=(*LINES, ("web", "channel", "STATIC")))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalAep]:
    (tmp_path / "data").mkdir()
    with LocalAep(data_dir=tmp_path / "data", args=["--local-s3", "--no-scheduler"]) as running:
        yield running


def apply(folder: Path, env: dict[str, str], server: LocalAep, tutorial: Tutorial) -> list[str]:
    """Write the configuration, apply it, and return the writes it made (``METHOD template status``)."""
    tutorial.write(folder)
    server.reset_requests()
    run(folder, env, "apply", "-auto-approve")
    return writes(server)


def refused(folder: Path, env: dict[str, str], server: LocalAep, tutorial: Tutorial) -> str:
    """Write the configuration and plan it: the plan must fail, having written nothing."""
    tutorial.write(folder)
    server.reset_requests()
    code, text = plan(folder, env)
    assert code == 1, text
    assert writes(server) == []
    return text


def unchanged(folder: Path, env: dict[str, str], server: LocalAep) -> Counter[str]:
    """A plan with no change and no write: what every step ends with."""
    server.reset_requests()
    code, text = plan(folder, env)
    assert code == 0, text
    assert writes(server) == []
    return calls(server)


def assert_matches(api: Platform, folder: Path, tutorial: Tutorial) -> dict[str, dict[str, Any]]:
    """State and server agree on every object the configuration declares, and it is what it says."""
    held = state(folder)
    declared = [kind for kind in TYPES if tutorial.dataset or kind not in (
        "aep_dataset", "aep_target_connection", "aep_dataflow")]
    assert sorted(held) == sorted(declared)
    names = tutorial.names
    schema, mapping = held["aep_xdm_schema"], held["aep_mapping_set"]
    on_server = {kind: api.record(kind, held[kind]["id"]) for kind in declared}
    for kind in declared:
        assert (on_server[kind].get("title") or on_server[kind].get("name")) == names[kind] == held[kind]["name"]
    tenant_fields = on_server["aep_xdm_schema"]["properties"]["_acme"]["properties"]
    assert {name: definition.get("format", definition["type"]) for name, definition in tenant_fields.items()} \
        == dict(tutorial.fields) == schema["fields"]
    assert schema["paths"] == {name: f"_acme.{name}" for name in tutorial.fields}
    group = api.field_group(schema["field_group_id"])
    assert group.status_code == 200 and group.json()["title"] == f"{names['aep_xdm_schema']} fields"
    lines = [(m["source"], m["destination"]) for m in on_server["aep_mapping_set"]["mappings"]]
    assert lines == [(source, schema["paths"].get(dest, dest)) for source, dest, _ in tutorial.lines]
    assert on_server["aep_mapping_set"]["version"] == mapping["version"]
    if tutorial.dataset:
        dataset, target, flow = held["aep_dataset"], held["aep_target_connection"], held["aep_dataflow"]
        assert on_server["aep_dataset"]["schemaRef"]["id"] == schema["id"] == target["schema_id"]
        assert CLAIM_TAG in on_server["aep_dataset"]["tags"]
        assert target["dataset_id"] == dataset["id"]
        params = on_server["aep_dataflow"]["transformations"][0]["params"]
        assert (params["mappingId"], int(params["mappingVersion"])) == (mapping["id"], mapping["version"])
        assert (flow["mapping_id"], flow["mapping_version"]) == (mapping["id"], mapping["version"])
    return held


def same_names(tutorial: Tutorial, schema_id: str) -> str:
    """Another configuration declaring the tutorial's schema, dataset and mapping set names, each on
    its own (the dataset and mapping set on the existing schema), so each is planned, and refused."""
    names = {kind: json.dumps(name) for kind, name in tutorial.names.items()}
    return PREAMBLE + f"""
resource "aep_xdm_schema" "orders" {{
  name   = {names["aep_xdm_schema"]}
  fields = {{ orderId = "string" }}
}}

resource "aep_dataset" "orders" {{
  name      = {names["aep_dataset"]}
  schema_id = {json.dumps(schema_id)}
}}

resource "aep_mapping_set" "orders" {{
  name      = {names["aep_mapping_set"]}
  schema_id = {json.dumps(schema_id)}
  mappings  = [{{ source = "order_id", destination = "_acme.orderId", source_type = "ATTRIBUTE" }}]
}}
"""


def test_the_whole_tutorial(tmp_path: Path, server: LocalAep, cli_config: Path) -> None:
    api = Platform(server)
    env = tutorial_env(server, tmp_path, cli_config)
    folder = Tutorial().write(tmp_path / "tutorial")
    run(folder, env, "init")
    rows, good = sample_rows()

    # 1. create: one POST per object (two for the schema: its field group first), a listing per kind
    # at plan and at apply (the check for objects an interrupted apply left), nothing else written.
    server.reset_requests()
    run(folder, env, "apply", "-auto-approve")
    made = calls(server)
    assert written(server) == {
        "POST /connections": 1, "POST /sourceConnections": 1, f"POST {REGISTRY}/fieldgroups": 1,
        f"POST {REGISTRY}/schemas": 1, f"POST {CATALOG}/dataSets": 1, "POST /targetConnections": 1,
        f"POST {PREP}/mappingSets": 1, "POST /flows": 1}
    for listing in (f"{REGISTRY}/fieldgroups", f"{REGISTRY}/schemas", f"{CATALOG}/dataSets", f"{PREP}/mappingSets"):
        assert made[f"GET {listing}"] == 2, (listing, made)
    assert made[f"GET {REGISTRY}/schemas/{{id}}"] == 1  # the mapping lines checked against the new schema
    assert made["GET /connections/{id}/explore"] == 1  # the columns checked against the sample's header
    held = assert_matches(api, folder, Tutorial())
    assert held["aep_mapping_set"]["version"] == 0 and held["aep_dataset"]["deletion_protection"] is True

    # 2. a scheduled run reads the three sample files and lands their well-formed rows in the dataset.
    assert len(server.tick()) == 1
    landed = server.landed(held["aep_dataset"]["id"], org_id=ORG_ID)
    assert (landed["recordCount"], landed["failedRecordCount"]) == (good, rows - good) == (70, 2)
    first = landed["records"][0]["_acme"]
    assert set(first) == set(FIELDS) and isinstance(first["total"], float)
    refresh = unchanged(folder, env, server)
    assert {k: v for k, v in refresh.items() if "{id}" in k} == {
        "GET /connections/{id}": 1, "GET /sourceConnections/{id}": 1, f"GET {REGISTRY}/schemas/{{id}}": 1,
        f"GET {CATALOG}/dataSets/{{id}}": 1, "GET /targetConnections/{id}": 1, f"GET {PREP}/mappingSets/{{id}}": 1,
        "GET /flows/{id}": 1}, refresh

    # 3. an additive change: the new field is one PATCH of the field group, the new line writes
    # version 1 (one PUT), and the dataflow moves to it (one PATCH of the flow), in one apply.
    GROWN.write(folder)
    server.reset_requests()
    code, text = plan(folder, env)
    assert code == 2 and "0 to add, 3 to change, 0 to destroy" in text and "must be replaced" not in text, text
    assert '"_acme.orderId" -> (known after apply)' not in text  # the lines kept show no change
    assert writes(server) == []
    before = held
    assert apply(folder, env, server, GROWN) == [
        f"PATCH {REGISTRY}/fieldgroups/{{id}} 200", f"PUT {PREP}/mappingSets/{{id}} 200", "PATCH /flows/{id} 200"]
    held = assert_matches(api, folder, GROWN)
    assert held["aep_mapping_set"]["version"] == 1 and held["aep_dataflow"]["mapping_version"] == 1
    assert {kind: held[kind]["id"] for kind in TYPES} == {kind: before[kind]["id"] for kind in TYPES}
    unchanged(folder, env, server)

    # 4. a breaking change while the dataset holds the schema's data: refused at plan, nothing written.
    dataset_id = held["aep_dataset"]["id"]
    retyped = refused(folder, env, server, GROWN.but(fields={**GROWN.fields, "total": "string"}))
    assert "Error: Breaking change to XDM schema 'Orders schema (tutorial)' refused" in retyped
    assert "retyped `total` (number -> string)" in retyped and dataset_id in retyped
    assert "Ways forward: keep the fields as they are and add new ones instead" in retyped
    removed = refused(folder, env, server, GROWN.but(
        fields={k: v for k, v in GROWN.fields.items() if k != "currency"},
        lines=tuple(line for line in GROWN.lines if line[1] != "currency")))
    assert "removed `currency`" in removed and dataset_id in removed

    # 5. the dataset left out while it holds records: deletion protection refuses the plan (and a
    # destroy); turned off in a reviewed change (no call), the dataset then goes, after its users.
    protected = refused(folder, env, server, GROWN.but(dataset=False))
    assert "Error: Dataset 'Orders dataset (tutorial)' holds data and would be deleted" in protected
    assert f"{dataset_id} holds {good} record(s) in 1 batch(es)" in protected
    assert "set deletion_protection = false in the declaration" in protected
    GROWN.write(folder)
    server.reset_requests()
    assert run(folder, env, "destroy", "-auto-approve", check=False).returncode == 1
    assert writes(server) == []
    assert apply(folder, env, server, GROWN.but(deletion_protection=False)) == []
    assert state(folder)["aep_dataset"]["deletion_protection"] is False
    assert apply(folder, env, server, GROWN.but(dataset=False)) == [
        "DELETE /flows/{id} 204", "DELETE /targetConnections/{id} 204", f"DELETE {CATALOG}/dataSets/{{id}} 200"]
    assert api.dataset(dataset_id).status_code == 404
    assert_matches(api, folder, GROWN.but(dataset=False))
    unchanged(folder, env, server)

    # 6. drift, corrected by the next apply. The schema, no longer used by a dataset, may change
    # freely: its field group edited behind Terraform's back is patched back (one PATCH).
    shrunk = GROWN.but(dataset=False)
    group_id, schema_id = held["aep_xdm_schema"]["field_group_id"], held["aep_xdm_schema"]["id"]
    base = "/definitions/customFields/properties/_acme/properties"
    api.call("PATCH", api.registry_url("fieldgroups", group_id), [
        {"op": "replace", "path": f"{base}/total", "value": {"title": "total", "type": "string"}},
        {"op": "remove", "path": f"{base}/currency"}])
    server.reset_requests()
    code, text = plan(folder, env)
    assert code == 2 and '"total" = "string" -> "number"' in text and '+ "currency" = "string"' in text, text
    # (The mapping line to the field put back reads its path "known after apply": no call comes of it.)
    assert apply(folder, env, server, shrunk) == [f"PATCH {REGISTRY}/fieldgroups/{{id}} 200"]
    assert_matches(api, folder, shrunk)

    # The schema deleted behind Terraform's back: created again on the field group it had (this
    # state's, adopted without a call), and the mapping set that named the old one replaced.
    api.call("DELETE", api.registry_url("schemas", schema_id))
    server.reset_requests()
    code, text = plan(folder, env)
    assert code == 2 and "aep_xdm_schema.orders will be created" in text, text
    assert "The field group 'Orders schema (tutorial) fields' already exists and will be adopted" in text
    assert written(server) == {}
    assert sorted(apply(folder, env, server, shrunk)) == sorted([
        f"POST {REGISTRY}/schemas 201", f"DELETE {PREP}/mappingSets/{{id}} 204", f"POST {PREP}/mappingSets 200"])
    held = assert_matches(api, folder, shrunk)
    assert held["aep_xdm_schema"]["field_group_id"] == group_id and held["aep_xdm_schema"]["id"] != schema_id

    # The schema and its field group deleted: both created again (two POSTs).
    api.call("DELETE", api.registry_url("schemas", held["aep_xdm_schema"]["id"]))
    api.call("DELETE", api.registry_url("fieldgroups", group_id))
    assert sorted(apply(folder, env, server, shrunk)) == sorted([
        f"POST {REGISTRY}/fieldgroups 201", f"POST {REGISTRY}/schemas 201", f"DELETE {PREP}/mappingSets/{{id}} 204",
        f"POST {PREP}/mappingSets 200"])
    held = assert_matches(api, folder, shrunk)
    assert held["aep_xdm_schema"]["field_group_id"] != group_id
    unchanged(folder, env, server)

    # The dataset, target connection and dataflow back (protected again), and a run lands records.
    assert sorted(apply(folder, env, server, GROWN)) == sorted([
        f"POST {CATALOG}/dataSets 201", "POST /targetConnections 201", "POST /flows 201"])
    held = assert_matches(api, folder, GROWN)
    assert len(server.tick()) == 1
    assert server.landed(held["aep_dataset"]["id"], org_id=ORG_ID)["recordCount"] == good

    # The dataset renamed behind Terraform's back: one PATCH, with If-Match the version just read.
    dataset_id = held["aep_dataset"]["id"]
    api.call("PATCH", f"{server.catalog_url}/dataSets/{dataset_id}", {"name": "Renamed outside Terraform"})
    version = api.dataset(dataset_id).json()[dataset_id]["version"]
    assert apply(folder, env, server, GROWN) == [f"PATCH {CATALOG}/dataSets/{{id}} 200"]
    [patch] = [r for r in server.requests() if r["method"] == "PATCH"]
    assert patch["if_match"].strip('"') == version
    held = assert_matches(api, folder, GROWN)

    # The mapping set changed behind Terraform's back (a new version without a line): the next
    # version restores the lines, and the dataflow moves to it.
    mapping_id = held["aep_mapping_set"]["id"]
    outside = api.mapping_set(mapping_id).json()
    api.call("PUT", f"{server.data_prep_url}/mappingSets/{mapping_id}", {
        "outputSchema": outside["outputSchema"], "name": outside["name"],
        "mappings": [{k: m[k] for k in ("sourceType", "source", "destination")} for m in outside["mappings"][:-1]]})
    assert apply(folder, env, server, GROWN) == [f"PUT {PREP}/mappingSets/{{id}} 200", "PATCH /flows/{id} 200"]
    held = assert_matches(api, folder, GROWN)
    assert held["aep_mapping_set"]["version"] == outside["version"] + 2

    # The mapping set deleted behind Terraform's back: created again (version 0), the flow follows.
    api.call("DELETE", f"{server.data_prep_url}/mappingSets/{mapping_id}")
    assert apply(folder, env, server, GROWN) == [f"POST {PREP}/mappingSets 200", "PATCH /flows/{id} 200"]
    held = assert_matches(api, folder, GROWN)
    assert held["aep_mapping_set"]["id"] != mapping_id and held["aep_mapping_set"]["version"] == 0

    # The dataset deleted behind Terraform's back (its data gone with it): created again, and the
    # target connection and the dataflow that named it replaced, the flow deleted first.
    api.call("DELETE", f"{server.catalog_url}/dataSets/{dataset_id}")
    made = apply(folder, env, server, GROWN)
    assert sorted(made) == sorted([f"POST {CATALOG}/dataSets 201", "DELETE /flows/{id} 204",
                                   "DELETE /targetConnections/{id} 204", "POST /targetConnections 201",
                                   "POST /flows 201"])
    assert made.index("DELETE /flows/{id} 204") < made.index("DELETE /targetConnections/{id} 204")
    held = assert_matches(api, folder, GROWN)
    unchanged(folder, env, server)

    # 7. import: each new kind forgotten, then imported by its id (one GET each, nothing written).
    # The plan after it sets only what no read can tell: the mapping set's plan-time sample settings.
    imported = ("aep_xdm_schema", "aep_dataset", "aep_mapping_set")
    run(folder, env, "apply", "-refresh-only", "-auto-approve")  # what the services say now (a write's
    held = state(folder)  # answer lacks a dataset's version and the times)
    for kind in imported:
        run(folder, env, "state", "rm", f"{kind}.orders")
    server.reset_requests()
    for kind in imported:
        run(folder, env, "import", f"{kind}.orders", held[kind]["id"])
    assert writes(server) == []
    assert calls(server) == {f"GET {REGISTRY}/schemas/{{id}}": 1, f"GET {CATALOG}/dataSets/{{id}}": 1,
                             f"GET {PREP}/mappingSets/{{id}}": 1}
    again = assert_matches(api, folder, GROWN)
    unread = dict.fromkeys(("sample_connection_id", "sample_file", "field_group_version"))  # kept by no service
    for kind in imported:
        assert {**again[kind], **unread} == {**held[kind], **unread}, kind
    server.reset_requests()
    code, text = plan(folder, env)
    actions = text.split("Terraform will perform the following actions:")[-1].split("Plan:")[0]
    assert code == 2 and "0 to add, 1 to change, 0 to destroy" in text, text
    assert "aep_mapping_set.orders will be updated in-place" in actions and "->" not in actions, actions
    assert "+ sample_connection_id" in actions and "+ sample_file" in actions, actions
    assert apply(folder, env, server, GROWN) == []
    unchanged(folder, env, server)

    # 8. another state (another folder, the same technical account) declaring the same names:
    # refused at plan, kind by kind, naming who made each object; the first state is untouched.
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.tf").write_text(same_names(GROWN, held["aep_xdm_schema"]["id"]))
    run(other, env, "init")
    server.reset_requests()
    code, text = plan(other, env)
    assert code == 1
    for kind, noun in (("aep_xdm_schema", "An XDM schema"), ("aep_dataset", "A dataset"),
                       ("aep_mapping_set", "A mapping set")):
        assert f"{noun} named '{GROWN.names[kind]}' already exists in sandbox 'prod'" in text, (kind, text)
        assert held[kind]["id"] in text
    assert "This state did not create it" in text and "terraform import" in text
    assert run(other, env, "apply", "-auto-approve", check=False).returncode == 1
    assert writes(server) == []
    assert state(other) == {}
    unchanged(folder, env, server)

    # 9. destroy (deletion protection turned off first, without a call): every object goes, each
    # after what uses it, and every DELETE succeeds.
    assert apply(folder, env, server, GROWN.but(deletion_protection=False)) == []
    server.reset_requests()
    run(folder, env, "destroy", "-auto-approve")
    deleted = [entry for entry in writes(server)]
    assert all(entry.startswith("DELETE ") and int(entry.rsplit(" ", 1)[1]) < 300 for entry in deleted), deleted
    order = [entry.split(" ")[1] for entry in deleted]
    assert len(order) == 8 and order[0] == "/flows/{id}"
    for first, then in (("/targetConnections/{id}", f"{CATALOG}/dataSets/{{id}}"),
                        ("/sourceConnections/{id}", "/connections/{id}"),
                        (f"{CATALOG}/dataSets/{{id}}", f"{REGISTRY}/schemas/{{id}}"),
                        (f"{PREP}/mappingSets/{{id}}", f"{REGISTRY}/schemas/{{id}}"),
                        (f"{REGISTRY}/schemas/{{id}}", f"{REGISTRY}/fieldgroups/{{id}}")):
        assert order.index(first) < order.index(then), order
    assert state(folder) == {}
    left = api.names()
    assert not [name for counted in left.values() for name in counted if name and "(tutorial)" in name], left


LOOKUPS = """
data "aep_xdm_schema" "orders" {
  name = "Acme Orders"
}

data "aep_dataset" "orders" {
  name = "Acme Orders (prod)"
}

data "aep_mapping_set" "orders" {
  name = "Acme orders CSV to XDM"
}

resource "aep_dataset" "copy" {
  name      = "Orders copy (lookups)"
  schema_id = data.aep_xdm_schema.orders.id
}

output "found" {
  value = {
    schema  = data.aep_xdm_schema.orders
    dataset = data.aep_dataset.orders
    mapping = data.aep_mapping_set.orders
  }
}
"""


def test_the_look_ups_by_name(tmp_path: Path, server: LocalAep, cli_config: Path) -> None:
    """Objects made elsewhere (the local AEP's seed) found by name, beside a resource of the same
    kind created on one of them: one listing per kind and command, each name one error when it
    matches none or several."""
    api = Platform(server)
    env = tutorial_env(server, tmp_path, cli_config)
    folder = tmp_path / "lookups"
    folder.mkdir()
    (folder / "main.tf").write_text(PREAMBLE + LOOKUPS)
    run(folder, env, "init")
    server.reset_requests()
    run(folder, env, "apply", "-auto-approve")
    made = calls(server)
    # The plan reads the data sources and plans the create (one listing of datasets for both); the
    # apply lists datasets again (the create's check for a lost create) and reads none of them again.
    assert made["GET /schemaregistry/tenant/schemas"] == 1 and made["GET /conversion/mappingSets"] == 1, made
    assert made["GET /catalog/dataSets"] == 2 and made["GET /schemaregistry/tenant/schemas/{id}"] == 1, made
    found = json.loads(run(folder, env, "output", "-json", "found").stdout)
    schema_id = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"
    assert found["schema"] == {
        "name": "Acme Orders", "id": schema_id, "description": api.schema(schema_id).json()["description"],
        "class_id": "https://ns.adobe.com/xdm/context/experienceevent", "tenant": "acme",
        "field_group_id": "https://ns.adobe.com/acme/mixins/3e1f5a7c9b2d4e6f8a0c1b3d5e7f9a2c",
        "fields": {"orderId": "string", "customerId": "string", "orderedAt": "date-time"},
        "paths": {"orderId": "_acme.orderId", "customerId": "_acme.customerId", "orderedAt": "_acme.orderedAt"}}
    assert found["dataset"] == {"name": "Acme Orders (prod)", "id": "64d0a1b2c3d4e5f6a7b8c9d2", "schema_id": schema_id,
                                "description": None}
    mapping = api.mapping_set(found["mapping"]["id"]).json()
    assert (found["mapping"]["version"], found["mapping"]["schema_id"]) == (mapping["version"], schema_id)
    assert [(m["source"], m["destination"], m["source_type"]) for m in found["mapping"]["mappings"]] == [
        (m["source"], m["destination"], "ATTRIBUTE") for m in mapping["mappings"]]
    assert state(folder)["aep_dataset"]["schema_id"] == schema_id

    # A name of two datasets, and a title of none: one error each, naming the name, the sandbox and the ids.
    body = {"name": "Orders twice", "schemaRef": {"id": schema_id, "contentType": "application/vnd.adobe.xed+json"}}
    twice = [api.call("POST", f"{server.catalog_url}/dataSets", body).json()[0].rsplit("/", 1)[1] for _ in range(2)]
    (folder / "main.tf").write_text(PREAMBLE + edited(
        LOOKUPS, ('"Acme Orders (prod)"', '"Orders twice"'), ('"Acme Orders"', '"Orders nowhere"')))
    code, text = plan(folder, env)
    assert code == 1 and text.count("Error: ") == 2, text
    assert "Error: 2 datasets named 'Orders twice' in sandbox 'prod' " in text and all(i in text for i in twice)
    assert "Error: No XDM schema named 'Orders nowhere' in sandbox 'prod' " in text
