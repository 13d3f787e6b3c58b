"""The response contract (aep_spec/contract.json) on the ingestion path, without a server:
the examples of Adobe's Flow Service API description (re-typed here, small) fit the shape the
contract gives their operation, the forms Adobe documents both ways fit too, and a broken body
is refused with a message naming the operation and the member."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from aep_spec import contract

CONTRACT = contract.load()
NEW_COLLECTIONS = ("/sourceConnections", "/targetConnections", "/flows", "/flowSpecs", "/runs")

CLOUD_STORAGE_FLOW_SPEC = "9753525b-82c7-4dce-8a9b-5ccfce2b9876"
DATA_LAKE_SPEC = "c604ff05-7f1a-43c0-8e18-33bf874cb11c"
GCS_SPEC = {"id": "32e8f412-cdf7-464c-9885-78184cb113fd", "version": "1.0"}
BASE_ID = "69f188b6-af07-4587-8061-e94d34637b41"
SOURCE_ID = "eb19c882-f19c-4d63-ad21-1d7ba9b21a85"
TARGET_ID = "eea7eaf4-3fe5-4792-b59b-2ec24c3e8331"
FLOW_ID = "3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d"
RUN_ID = "3fb0418e-1804-45d6-8d56-dd51f05c0baf"


def audited(created: int, updated: int, etag: str) -> dict[str, Any]:
    """The members every record of the description's examples carries."""
    return {"createdAt": created, "updatedAt": updated,
            "createdBy": "28AF22BA5DE6B0B40A494036@AdobeID", "updatedBy": "28AF22BA5DE6B0B40A494036@AdobeID",
            "createdClient": "exc_app", "updatedClient": "exc_app",
            "sandboxId": "1bd86660-c5da-11e9-93d4-6d5fc3a66a8e", "sandboxName": "prod",
            "imsOrgId": "5C1328435BF324E90A49402A@AdobeOrg", "version": etag, "etag": etag}


SOURCE = {
    "id": SOURCE_ID, **audited(1670276871555, 1670276871555, '"5f00fba7-0000-0200-0000-5ed560520000"'),
    "name": "Google Cloud Storage source connection",
    "description": "A Google Cloud Storage source connection for ACME customer data",
    "baseConnectionId": BASE_ID, "state": "enabled", "data": {"format": "delimited"},
    "connectionSpec": GCS_SPEC, "params": {"path": "Accounts"},
    "providerRefId": "0ed90a81-07f4-4586-8190-b40eccef1c5a",
    "inheritedAttributes": {"baseConnection": {"id": BASE_ID, "connectionSpec": GCS_SPEC}},
}
TARGET = {
    "id": "1642748e-7cbc-4f3d-8274-8e7cbcaf3d97",
    **audited(1670279178771, 1670279178771, '"6f00d1ea-0000-0200-0000-5ea6713e0000"'),
    "name": "Google Cloud Storage Target Connection",
    "description": "A Google Cloud Storage Target Connection for ACME customer data", "state": "enabled",
    "data": {"format": "delimited",
             "schema": {"id": "https://ns.adobe.com/{TENANT}/schemas/8e5fd1adf94007b936d0f8ea9e270c48dba26b7dcdad80d0",
                        "version": "application/vnd.adobe.xed-full+json;version=1.0"}},
    "connectionSpec": {"id": DATA_LAKE_SPEC, "version": "1.0"}, "params": {"dataSetId": "5ed18e0f4f90b719196f44a9"},
}
FLOW = {
    "id": FLOW_ID, **audited(1670284443204, 1670284532205, '"7e05f181-0000-0200-0000-638e84f40000"'),
    "name": "Google Cloud Storage Flow", "description": "A Google Cloud Storage flow for ACME customer data",
    "flowSpec": {"id": CLOUD_STORAGE_FLOW_SPEC, "version": "1.0"}, "state": "enabled",
    "sourceConnectionIds": [SOURCE_ID], "targetConnectionIds": [TARGET_ID],
    "inheritedAttributes": {
        "sourceConnections": [{"id": SOURCE_ID, "connectionSpec": GCS_SPEC,
                               "baseConnection": {"id": BASE_ID, "connectionSpec": GCS_SPEC}}],
        "targetConnections": [{"id": TARGET_ID, "connectionSpec": {"id": DATA_LAKE_SPEC, "version": "1.0"}}]},
    "scheduleParams": {"startTime": 1590091157, "frequency": "minute", "interval": "15", "backfill": True},
    "transformations": [{"name": "Mapping",
                         "params": {"mappingId": "97051e9e86184c7d88d6bf8104ad7765", "mappingVersion": "0"}}],
    "runs": f"/runs?property=flowId=={FLOW_ID}",
    "lastOperation": {"started": 1670284443413, "updated": 0, "operation": "create"},
    "lastRunDetails": {"id": "98fbed6e-f896-4b19-b279-b0d56d732d8d", "state": "success",
                       "startedAtUTC": 1670284458833, "completedAtUTC": 1670284518048},
}
FLOW_SPEC = {  # the description's flow spec example (abridged); note the single-object permissions
    "id": CLOUD_STORAGE_FLOW_SPEC, "name": "CloudStorageToAEP", "providerId": "0ed90a81-07f4-4586-8190-b40eccef1c5a",
    "version": "1.0", "attributes": {"notification": {"category": "sources", "flowRun": {"enabled": True}}},
    "sourceConnectionSpecIds": ["b3ba5556-48be-44b7-8b85-ff2b69b46dc4", "ecadc60c-7455-4d87-84dc-2a0e293d997b"],
    "targetConnectionSpecIds": [DATA_LAKE_SPEC],
    "permissionsInfo": {"view": {"@type": "lowLevel", "name": "EnterpriseSource", "permissions": ["read"]},
                        "manage": {"@type": "lowLevel", "name": "EnterpriseSource", "permissions": ["write"]}},
    "optionSpec": {"name": "OptionSpec", "spec": {"$schema": "http://json-schema.org/draft-07/schema#"}},
    "scheduleSpec": {"name": "PeriodicSchedule", "type": "Periodic",
                     "spec": {"type": "object", "required": ["startTime", "frequency"]}},
    "transformationSpec": [{"name": "Mapping", "spec": {"type": "object", "required": ["mappingId"]}}],
}
# The member descriptions' form of the same document: one transformation spec object, permission arrays.
FLOW_SPEC_MEMBERS = {
    **{k: v for k, v in FLOW_SPEC.items() if k not in ("transformationSpec", "permissionsInfo")},
    "transformationSpecs": {"name": "Mapping", "spec": {"type": "object"}},
    "permissionsInfo": {"manage": [{"@type": "lowLevel", "name": "EnterpriseSource", "permissions": ["write"]}],
                        "view": [{"@type": "lowLevel", "name": "EnterpriseSource", "permissions": ["read"]}]},
}
RUN = {  # the description spells the etag eTag (and its activities "activites": that spelling goes unchecked)
    "id": "7af3ba45-4952-4371-8361-1b30134be7eb", "createdAt": 1670444672602, "updatedAt": 1670444707059,
    "sandboxName": "prod", "flowId": FLOW_ID, "flowSpec": {"id": CLOUD_STORAGE_FLOW_SPEC, "version": "1.0"},
    "providerRefId": "M-3d17a4ff-9e0a-4f7c-94bb-bc0b61a3a76d-incremental-0:cd0ab404-960a-422d-b2f6-2ca5063606f2",
    "eTag": '"7e08a7b4-0000-0200-0000-6390f6a30000"',
    "metrics": {
        "durationSummary": {"startedAtUTC": 1670444654036, "completedAtUTC": 1670444685455},
        "sizeSummary": {"inputBytes": 124, "outputBytes": 1884},
        "recordSummary": {"inputRecordCount": 2, "createdRecordCount": 2, "outputRecordCount": 2,
                          "failedRecordCount": 0},
        "fileSummary": {"inputFileCount": 1, "outputFileCount": 1, "manifest": {"fileInfo": [
            {"path": "https://platform.adobe.io/data/foundation/export/batches/01GKQEBS103JPWNZNJTEVFVDMY/meta"
                     "?path=input_files",
             "pathPrefix": "/acme/acme-customers/sales/acme-customers-sales-spring.csv"}]}},
        "statusSummary": {"status": "success"}},
    "activities": [{"id": "4f008a00-3a04-11eb-adc1-0242ac120002", "name": "Google Cloud Storage Copy Activity",
                    "updatedAtUTC": 0, "latencySummary": {}, "recordSummary": {},
                    "durationSummary": {"startedAtUTC": 1670444654036, "completedAtUTC": 1670444685455},
                    "sizeSummary": {"inputBytes": 0, "outputBytes": 0}, "fileSummary": {"inputFileCount": 1},
                    "statusSummary": {"status": "success", "extensions": {}}}],
}
TARGET_SPEC = {  # a connection spec carrying a targetSpec (the description's target spec members)
    "id": GCS_SPEC["id"], "name": "Google Cloud Storage", "providerId": "0ed90a81-07f4-4586-8190-b40eccef1c5a",
    "version": "1.0",
    "authSpec": [{"name": "Basic Authentication for google-cloud", "type": "KeyBased",
                  "spec": {"accessKeyId": "GOOGMG1234ABCDEFGHIJKLMN", "secretAccessKey": "xxxx"}}],
    "targetSpec": {"name": "CloudStorage", "type": "CloudStorage",
                   "spec": {"schema": "http://json-schema.org/draft-07/schema#", "type": "object"},
                   "attributes": {"uiAttributes": {"isDestination": True, "category": "cloudStorage",
                                                   "icon": "google"}}},
    "attributes": {"category": "Cloud Storage", "connectorName": "Google Cloud Storage", "isSource": True,
                   "uiAttributes": {"apiFeatures": {"explorePaginationSupported": False}}},
}


def write(object_id: str, etag: str) -> dict[str, str]:
    return {"id": object_id, "etag": etag}


def with_changes(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``record``; ``changes`` set members (``a__b`` sets ``a.b``), a value of None removes one."""
    changed = copy.deepcopy(record)
    for dotted, value in changes.items():
        *parents, name = dotted.split("__")
        node = changed
        for parent in parents:
            node = node[parent]
        if value is None:
            node.pop(name, None)
        else:
            node[name] = value
    return changed


FLOW_WRITE = write(FLOW_ID, '"7e05b480-0000-0200-0000-638e84a00000"')
RUN_WRITE = write(RUN_ID, '"1100c53e-0000-0200-0000-627138980000"')

# (method, path, status, query, body): the description's examples, and the documented other forms.
EXAMPLES: list[tuple[str, str, int, dict[str, list[str]] | None, Any]] = [
    ("POST", "/sourceConnections", 201, None, write(SOURCE_ID, '"c207057b-0000-0200-0000-638e67070000"')),
    ("GET", "/sourceConnections", 200, None, {"items": [SOURCE], "_links": {"next": {
        "href": "/sourceConnections?continuationToken=abcdefghijkLMNOPqrstupWXKYZ"}}}),
    ("GET", "/sourceConnections", 200, {"count": ["true"]}, {"count": 1}),
    ("GET", f"/sourceConnections/{SOURCE_ID}", 200, None, {"items": [SOURCE]}),
    ("PATCH", f"/sourceConnections/{SOURCE_ID}", 200, None, {"items": [SOURCE]}),
    ("PATCH", f"/sourceConnections/{SOURCE_ID}", 200, None, write(SOURCE_ID, SOURCE["etag"])),
    ("DELETE", f"/sourceConnections/{SOURCE_ID}", 204, None, None),
    ("POST", "/targetConnections", 201, None, write(TARGET_ID, '"29070e1a-0000-0200-0000-638e700a0000"')),
    ("GET", "/targetConnections", 200, None, {"items": [TARGET, with_changes(TARGET, name=None, data__format=None)]}),
    ("GET", "/targetConnections", 200, {"count": ["true"]}, {"count": 42}),
    ("GET", f"/targetConnections/{TARGET['id']}", 200, None, {"items": [TARGET]}),
    ("PATCH", f"/targetConnections/{TARGET['id']}", 200, None, {"items": [TARGET]}),
    ("PATCH", f"/targetConnections/{TARGET['id']}", 200, None, write(TARGET["id"], TARGET["etag"])),
    ("DELETE", f"/targetConnections/{TARGET['id']}", 204, None, None),
    ("POST", "/flows", 201, None, FLOW_WRITE),
    ("GET", "/flows", 200, None, {"items": [FLOW], "count": 7}),
    ("GET", "/flows", 200, {"count": ["true"]}, {"count": 7}),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [FLOW]}),
    # the tutorial's schedule (numbers), and as a read gives it back (strings); no mapping, no run yet
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(
        FLOW, scheduleParams={"startTime": 1597784298, "frequency": "minute", "interval": 30, "backfill": True},
        transformations=[{"name": "Mapping", "params": {"mappingId": "bf5286a9c1ad4266baca76ba3adc9366",
                                                        "mappingVersion": 0}}])]}),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(
        FLOW, scheduleParams={"startTime": "1597784298", "frequency": "minute", "interval": "30", "backfill": "true"},
        transformations=None, lastRunDetails=None)]}),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(
        FLOW, scheduleParams={"startTime": 1597784298, "frequency": "once"},
        lastRunDetails={"id": RUN_ID, "state": "inProgress", "startedAtUTC": 1670284458833})]}),
    ("PATCH", f"/flows/{FLOW_ID}", 200, None, FLOW_WRITE),
    ("POST", f"/flows/{FLOW_ID}/action", 200, {"op": ["enable"]}, FLOW_WRITE),
    ("DELETE", f"/flows/{FLOW_ID}", 204, None, None),
    ("GET", "/flowSpecs", 200, {"property": ['name=="CloudStorageToAEP"']}, {"items": [FLOW_SPEC]}),
    ("GET", f"/flowSpecs/{CLOUD_STORAGE_FLOW_SPEC}", 200, None, {"items": [FLOW_SPEC]}),
    ("GET", f"/flowSpecs/{CLOUD_STORAGE_FLOW_SPEC}", 200, None, {"items": [FLOW_SPEC_MEMBERS]}),
    ("POST", "/runs", 201, None, RUN_WRITE),
    ("POST", "/runs", 201, None, {"items": [RUN_WRITE]}),  # the on-demand tutorial's form
    ("GET", "/runs", 200, {"property": [f"flowId=={FLOW_ID}"]}, {"items": [RUN], "count": 12}),
    ("GET", "/runs", 200, {"count": ["true"]}, {"count": 12}),
    ("GET", f"/runs/{RUN['id']}", 200, None, {"items": [RUN]}),
    # the monitoring tutorial's spelling, and a run still in progress (no completion time yet)
    ("GET", f"/runs/{RUN['id']}", 200, None, {"items": [with_changes(
        RUN, eTag=None, etag=RUN["eTag"], metrics__durationSummary={"startedAtUTC": 1670444654036},
        metrics__statusSummary={"status": "inProgress", "errors": []})]}),
    ("GET", f"/connectionSpecs/{GCS_SPEC['id']}", 200, None, {"items": [TARGET_SPEC]}),
]


def example_id(example: tuple[str, str, int, Any, Any]) -> str:
    method, path, status, query, _ = example
    return f"{method} {path.split('/')[1]} {status}{' ' + ','.join(query) if query else ''}"


@pytest.mark.parametrize("example", EXAMPLES, ids=[example_id(e) for e in EXAMPLES])
def test_documented_example_fits_its_operation(example: tuple[str, str, int, Any, Any]) -> None:
    method, path, status, query, body = example
    assert CONTRACT.check(method, path, status, body, query) == []


def test_every_operation_of_the_ingestion_path_has_an_example_of_each_answer() -> None:
    def key(method: str, path: str, query: Any) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        operation = CONTRACT.operation(method, path, query)
        assert operation is not None, f"{method} {path}"
        return operation.method, operation.path, tuple(sorted(operation.query.items()))

    covered = {(*key(method, path, query), str(status)) for method, path, status, query, _ in EXAMPLES}
    wanted = {(op.method, op.path, tuple(sorted(op.query.items())), status) for op in CONTRACT.operations
              if op.path.startswith(NEW_COLLECTIONS) for status in op.responses}
    assert len(wanted) == 25
    assert wanted <= covered, sorted(wanted - covered)


# (method, path, status, query, body, the start of the message that must name the operation and member)
BROKEN: list[tuple[str, str, int, dict[str, list[str]] | None, Any, str]] = [
    ("GET", "/sourceConnections", 200, None, {"_links": {}},
     "GET /sourceConnections 200 (SourceConnectionList) <body>: 'items' is a required property"),
    ("GET", f"/sourceConnections/{SOURCE_ID}", 200, None,
     {"items": [with_changes(SOURCE, params__recursive="yes")]},
     "GET /sourceConnections/{id} 200 (SourceConnectionList) items/0/params/recursive: 'yes' is not one of"),
    ("GET", f"/sourceConnections/{SOURCE_ID}", 200, None, {"items": [with_changes(SOURCE, baseConnectionId=None)]},
     "GET /sourceConnections/{id} 200 (SourceConnectionList) items/0: 'baseConnectionId' is a required property"),
    ("GET", "/targetConnections", 200, None, {"items": [with_changes(TARGET, params__dataSetId=5)]},
     "GET /targetConnections 200 (TargetConnectionList) items/0/params/dataSetId: 5 is not of type 'string'"),
    ("GET", "/targetConnections", 200, {"count": ["true"]}, {"count": "42"},
     "GET /targetConnections 200 (Count) count: '42' is not of type 'integer'"),
    ("GET", "/flows", 200, None, {"items": FLOW},
     "GET /flows 200 (FlowList) items: {"),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(FLOW, sourceConnectionIds=SOURCE_ID)]},
     f"GET /flows/{{id}} 200 (FlowList) items/0/sourceConnectionIds: '{SOURCE_ID}' is not of type 'array'"),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(FLOW, scheduleParams__interval="fifteen")]},
     "GET /flows/{id} 200 (FlowList) items/0/scheduleParams/interval: 'fifteen' does not match"),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(FLOW, scheduleParams__frequency="monthly")]},
     "GET /flows/{id} 200 (FlowList) items/0/scheduleParams/frequency: 'monthly' is not one of"),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(FLOW, state=None)]},
     "GET /flows/{id} 200 (FlowList) items/0: 'state' is a required property"),
    ("GET", f"/flows/{FLOW_ID}", 200, None, {"items": [with_changes(FLOW, schedule={"frequency": "once"})]},
     "GET /flows/{id} 200 (FlowList) items/0: Additional properties are not allowed ('schedule' was unexpected)"),
    ("PATCH", f"/flows/{FLOW_ID}", 200, None, {"id": FLOW_ID},
     "PATCH /flows/{id} 200 (Write) <body>: 'etag' is a required property"),
    ("POST", f"/flows/{FLOW_ID}/action", 200, {"op": ["disable"]},
     write(FLOW_ID, "7e05b480-0000-0200-0000-638e84a00000"),
     "POST /flows/{id}/action 200 (Write) etag: '7e05b480-0000-0200-0000-638e84a00000' does not match"),
    ("DELETE", f"/flows/{FLOW_ID}", 204, None, FLOW_WRITE,
     "DELETE /flows/{id} 204: the contract says this answer has no body"),
    ("GET", "/flowSpecs", 200, None, {},
     "GET /flowSpecs 200 (FlowSpecList) <body>: 'items' is a required property"),
    ("GET", f"/flowSpecs/{CLOUD_STORAGE_FLOW_SPEC}", 200, None,
     {"items": [with_changes(FLOW_SPEC, targetConnectionSpecIds=DATA_LAKE_SPEC)]},
     "GET /flowSpecs/{id} 200 (FlowSpecList) items/0/targetConnectionSpecIds: "),
    ("POST", "/runs", 201, None, {"items": []},
     "POST /runs 201 (RunCreated) items: [] should be non-empty"),
    ("POST", "/runs", 201, None, {"id": RUN_ID},
     "POST /runs 201 (RunCreated) <body>: fits none of its documented forms (<body>: 'items' is a required property; "
     "<body>: 'etag' is a required property)"),
    ("GET", "/runs", 200, None, {"items": [with_changes(RUN, metrics__recordSummary__inputRecordCount="2")]},
     "GET /runs 200 (RunList) items/0/metrics/recordSummary/inputRecordCount: '2' is not of type 'integer'"),
    ("GET", f"/runs/{RUN['id']}", 200, None, {"items": [with_changes(RUN, metrics__statusSummary=None)]},
     "GET /runs/{id} 200 (RunList) items/0/metrics: 'statusSummary' is a required property"),
    ("GET", f"/runs/{RUN['id']}", 200, None, {"items": [with_changes(RUN, eTag=None)]},
     "GET /runs/{id} 200 (RunList) items/0: fits none of its documented forms (items/0: 'etag' is a required "
     "property; items/0: 'eTag' is a required property)"),
    ("GET", f"/connectionSpecs/{DATA_LAKE_SPEC}", 200, None,
     {"items": [with_changes(TARGET_SPEC, targetSpec="Data Lake")]},
     "GET /connectionSpecs/{id} 200 (ConnectionSpecList) items/0/targetSpec: 'Data Lake' is not of type 'object'"),
]


@pytest.mark.parametrize("case", BROKEN, ids=[example_id(c[:5]) + f" {i}" for i, c in enumerate(BROKEN)])
def test_broken_body_is_refused_naming_the_operation_and_the_member(
        case: tuple[str, str, int, Any, Any, str]) -> None:
    method, path, status, query, body, message = case
    problems = CONTRACT.check(method, path, status, body, query)
    assert any(problem.startswith(message) for problem in problems), problems


def test_an_answer_the_contract_does_not_list_is_refused() -> None:
    assert CONTRACT.check("POST", "/runs", 200, RUN_WRITE) == ["POST /runs 200: the contract has no such answer"]
    with pytest.raises(LookupError, match="no operation GET /dataSets"):
        CONTRACT.check("GET", "/dataSets", 200, {})


def test_every_etag_and_record_version_follows_the_etag_rule() -> None:
    """An etag (etag, eTag) and a record's version (beside its etag) are the one quoted form, everywhere."""
    etag = {"$ref": "#/definitions/Etag"}
    for name, definition in CONTRACT.definitions.items():
        members = definition.get("properties", {})
        for member in ("etag", "eTag", *(("version",) if "etag" in members else ())):
            if member in members:
                assert members[member] == etag, f"{name}.{member}"
