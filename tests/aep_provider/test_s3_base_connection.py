"""Unit tests of the S3 base connection handler: plan, patch ops, refresh mapping, checks, and its
four operations (create, read, update, delete) against a fake Flow Service API.

The end-to-end tests run the same code through real Terraform; these pin the rules down.
"""

from __future__ import annotations

import pytest

from aep_client import ServerError
from aep_provider.protocol.resource import UNKNOWN, DiagnosticsError
from aep_provider.resources.s3_base_connection import SCHEMA, S3BaseConnection
from aep_provider.resources.s3_validation import validate_config
from tests.aep_provider.fake_api import CLIENT_ID, FakeConnectionsApi, context_for


def blank() -> dict:
    return {attr.name: None for attr in SCHEMA.attributes}


def config(**values: object) -> dict:
    base = blank() | {"name": "conn", "access_key_wo": "AK", "access_key_wo_version": "1",
                      "secret_key_wo": "SK", "secret_key_wo_version": "1"}
    return base | values


def prior_state(**values: object) -> dict:
    state = blank() | {"id": "id-1", "name": "conn", "auth_spec_name": "Access Key", "etag": '"e1"',
                       "connection_spec_id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "sandbox_name": "prod",
                       "access_key_wo_version": "1", "secret_key_wo_version": "1", "state": "enabled"}
    return state | values


def proposed_from(prior: dict, cfg: dict) -> dict:
    """What Terraform proposes: config values, prior values for computed-only attributes."""
    new = dict(cfg)
    for attr in SCHEMA.attributes:
        if attr.write_only:
            new[attr.name] = None
        elif attr.computed and cfg.get(attr.name) is None:
            new[attr.name] = prior.get(attr.name)
    return new


@pytest.fixture
def api() -> FakeConnectionsApi:
    return FakeConnectionsApi()


@pytest.fixture
def handler(api: FakeConnectionsApi) -> S3BaseConnection:
    made = S3BaseConnection()
    made.configure(context_for(api))
    return made


def test_create_plan_leaves_server_values_unknown(handler: S3BaseConnection) -> None:
    cfg = config()
    result = handler.plan(None, proposed_from(blank(), cfg), cfg)
    planned = result.planned_state
    assert all(planned[name] is UNKNOWN for name in ("id", "etag", "state", "created_at", "updated_at"))
    assert planned["auth_spec_name"] == "Access Key" and planned["sandbox_name"] == "prod"
    assert list(result.requires_replace) == []


def test_no_change_plans_the_prior_etag(handler: S3BaseConnection) -> None:
    prior, cfg = prior_state(), config()
    planned = handler.plan(prior, proposed_from(prior, cfg), cfg).planned_state
    assert planned["etag"] == '"e1"'


@pytest.mark.parametrize("change", [{"name": "other"}, {"description": "d"}, {"bucket_name": "my-bucket"},
                                    {"session_token_wo": "ST", "session_token_wo_version": "2"}])
def test_any_patched_change_makes_the_etag_unknown(handler: S3BaseConnection, change: dict) -> None:
    prior, cfg = prior_state(), config(**change)
    result = handler.plan(prior, proposed_from(prior, cfg), cfg)
    assert result.planned_state["etag"] is UNKNOWN and list(result.requires_replace) == []


def test_auth_spec_change_replaces(handler: S3BaseConnection) -> None:
    prior = prior_state()
    cfg = blank() | {"name": "conn", "auth_spec_name": "IAMRole Based", "bucket_name": "my-bucket"}
    result = handler.plan(prior, proposed_from(prior, cfg), cfg)
    assert list(result.requires_replace) == [("auth_spec_name",)]
    assert result.planned_state["id"] is UNKNOWN


def test_version_without_secret_is_refused_at_plan(handler: S3BaseConnection) -> None:
    cfg = config(session_token_wo_version="2")
    with pytest.raises(DiagnosticsError) as raised:
        handler.plan(None, proposed_from(blank(), cfg), cfg)
    [diag] = raised.value.diagnostics
    assert diag.path == ("session_token_wo",)
    assert diag.summary == "Credentials missing to create connection 'conn'"
    assert "Not set: session_token_wo" in diag.detail and "Flow Service never returns them" in diag.detail


def test_a_create_without_credentials_is_one_diagnostic_and_a_re_create_says_why(
        handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    prior = prior_state()
    assert str(prior["id"]) not in api.connections  # deleted in Flow Service behind Terraform's back
    assert handler.read(prior).state is None
    cfg = config(access_key_wo=None, secret_key_wo=None, access_key_wo_version="1", secret_key_wo_version="1")
    with pytest.raises(DiagnosticsError) as raised:
        handler.plan(None, proposed_from(blank(), cfg), cfg)
    [diag] = raised.value.diagnostics
    assert diag.summary == "Credentials missing to re-create connection 'conn'"
    assert f"Connection {prior['id']} was deleted in Flow Service outside Terraform" in diag.detail
    assert "Not set: access_key_wo, secret_key_wo" in diag.detail


def test_unchanged_version_needs_no_secret(handler: S3BaseConnection) -> None:
    """terraform destroy plans the configuration first: secrets must not be required then."""
    prior = prior_state(session_token_wo_version="1")
    cfg = config(session_token_wo_version="1", access_key_wo=None, secret_key_wo=None)
    assert handler.plan(prior, proposed_from(prior, cfg), cfg).planned_state["etag"] == '"e1"'
    changed = config(session_token_wo_version="2")
    with pytest.raises(DiagnosticsError) as raised:
        handler.plan(prior, proposed_from(prior, changed), changed)
    assert [d.path for d in raised.value.diagnostics] == [("session_token_wo",)]


def test_session_token_rotation_is_the_tutorials_patch() -> None:
    prior = prior_state(session_token_wo_version="1")
    cfg = config(session_token_wo="new-token", session_token_wo_version="2")
    planned = proposed_from(prior, cfg)
    assert S3BaseConnection().patch_ops(prior, planned, cfg) == [
        {"op": "replace", "path": "/auth/params/s3SessionToken", "value": "new-token"}]


def test_patch_ops_cover_names_params_and_removal() -> None:
    prior = prior_state(description="old", folder_path="in")
    cfg = config(name="new", bucket_name="my-bucket")
    ops = S3BaseConnection().patch_ops(prior, proposed_from(prior, cfg), cfg)
    assert ops == [
        {"op": "replace", "path": "/name", "value": "new"},
        {"op": "remove", "path": "/description"},
        {"op": "add", "path": "/auth/params/bucketName", "value": "my-bucket"},
        {"op": "remove", "path": "/auth/params/folderPath"},
    ]


def record(**values: object) -> dict:
    base = {"id": "id-1", "name": "conn", "etag": '"e1"', "state": "enabled", "sandboxName": "prod",
            "createdAt": 1597973312000, "updatedAt": 1597973312000,
            "connectionSpec": {"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"},
            "auth": {"specName": "Access Key", "params": {"s3AccessKey": "AKIA***", "s3SecretKey": "***"}}}
    return base | values


def test_refresh_maps_the_record_and_never_secrets(handler: S3BaseConnection) -> None:
    state = handler.state_from_record(record(), prior_state())
    assert state["created_at"] == "2020-08-21T01:28:32.000Z"
    assert state["access_key_wo"] is None and state["secret_key_wo"] is None
    assert state["access_key_wo_version"] == "1"  # unchanged etag: versions kept


def test_refresh_clears_versions_on_an_invisible_change(handler: S3BaseConnection) -> None:
    state = handler.state_from_record(record(etag='"e2"'), prior_state())
    assert state["etag"] == '"e2"'
    assert state["access_key_wo_version"] is None and state["secret_key_wo_version"] is None


def test_refresh_keeps_versions_when_the_change_is_visible(handler: S3BaseConnection) -> None:
    state = handler.state_from_record(record(etag='"e2"', name="renamed"), prior_state())
    assert state["name"] == "renamed" and state["access_key_wo_version"] == "1"


def test_plan_time_validation_points_at_attributes() -> None:
    diags = validate_config(config(bucket_name="Bad_Bucket", folder_path="a/", service_url="ftp://x"))
    assert {d.path for d in diags} == {("bucket_name",), ("folder_path",), ("service_url",)}
    assert all(d.severity == "error" and d.detail for d in diags)


def test_plan_time_validation_requires_auth_params() -> None:
    diags = validate_config(blank() | {"name": "conn", "auth_spec_name": "Access Key"})
    assert {d.path for d in diags} == {("access_key_wo",), ("secret_key_wo",)}
    iam = validate_config(blank() | {"name": "conn", "auth_spec_name": "IAMRole Based", "access_key_wo": "AK"})
    assert {d.path for d in iam} == {("bucket_name",), ("access_key_wo",)}


def test_unknown_values_wait_for_apply() -> None:
    assert validate_config(config(bucket_name=UNKNOWN, folder_path=UNKNOWN, secret_key_wo=UNKNOWN)) == []
    assert validate_config(config(auth_spec_name=UNKNOWN)) == []


# --- the four operations, against the fake API -----------------------------------------------


def create(handler: S3BaseConnection, **values: object) -> dict:
    cfg = config(**values)
    planned = handler.plan(None, proposed_from(blank(), cfg), cfg).planned_state
    return handler.create(planned, cfg).state


def test_create_is_one_call_with_the_secrets_from_config(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    state = create(handler, description="d", bucket_name="my-bucket")
    assert api.operations() == ["list", "create"]  # one listing per process, shared by every create
    body = api.calls[1][1]
    assert body["auth"] == {"specName": "Access Key",
                            "params": {"s3AccessKey": "AK", "s3SecretKey": "SK", "bucketName": "my-bucket"}}
    assert body["connectionSpec"] == {"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}
    assert state["id"] == "conn-1" and state["etag"] == api.connections["conn-1"]["etag"]
    assert state["access_key_wo"] is None and state["sandbox_name"] == "prod"


def test_read_maps_the_record_and_a_404_means_gone(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    state = create(handler)
    read = handler.read(state).state
    assert read is not None and read["etag"] == state["etag"] and read["state"] == "enabled"
    del api.connections[state["id"]]
    assert handler.read(state).state is None
    assert api.operations() == ["list", "create", "get", "get"]


def test_update_patches_with_the_etag_in_state_and_stores_the_new_one(handler: S3BaseConnection,
                                                                       api: FakeConnectionsApi) -> None:
    prior = create(handler)
    cfg = config(name="renamed")
    planned = handler.plan(prior, proposed_from(prior, cfg), cfg).planned_state
    new = handler.update(prior, planned, cfg).state
    assert api.calls[-1] == ("update", ("conn-1", prior["etag"], [{"op": "replace", "path": "/name",
                                                                   "value": "renamed"}]))
    assert new["etag"] == api.connections["conn-1"]["etag"] != prior["etag"]
    assert api.operations() == ["list", "create", "update"]


def test_update_with_nothing_to_send_makes_no_call(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    prior = create(handler)
    cfg = config()
    new = handler.update(prior, proposed_from(prior, cfg), cfg).state
    assert new["etag"] == prior["etag"] and api.operations() == ["list", "create"]


def test_stale_etag_is_a_diagnostic_naming_both_etags(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    prior = create(handler)
    api.connections["conn-1"]["etag"] = '"foreign"'
    cfg = config(name="renamed")
    with pytest.raises(DiagnosticsError) as raised:
        handler.update(prior, proposed_from(prior, cfg), cfg)
    (diag,) = raised.value.diagnostics
    assert prior["etag"] in diag.detail and '"foreign"' in diag.detail


def test_delete_is_one_call_and_converges(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    state = create(handler)
    handler.delete(state)
    handler.delete(state)  # already gone: still fine
    assert api.operations() == ["list", "create", "delete", "delete"] and api.connections == {}


def test_api_errors_become_diagnostics_without_secrets(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    cfg = config()
    planned = handler.plan(None, proposed_from(blank(), cfg), cfg).planned_state
    api.fail_next = ServerError(500, "1102", None, "boom")
    with pytest.raises(DiagnosticsError) as raised:
        handler.create(planned, cfg)
    (diag,) = raised.value.diagnostics
    assert "Flow Service create failed" in diag.summary and "boom" in diag.detail and "SK" not in diag.detail


def test_unconfigured_handler_says_so() -> None:
    with pytest.raises(DiagnosticsError, match="not configured"):
        S3BaseConnection().read({"id": "x"})


# --- interrupted deploys: adopt what this client created, refuse the rest --------------------


def leftover(api: FakeConnectionsApi, name: str = "conn", client: str = CLIENT_ID, claimed: bool = True,
             **params: str) -> str:
    """A connection an interrupted deploy of this state created (its journal claims it; with
    ``claimed=False``, one another state created): in AEP, not in state."""
    if claimed:
        api.journal.begin("connections", "prod", name, CLIENT_ID)
    keys = {"s3AccessKey": "OLD", "s3SecretKey": "OLD"}
    ref = api.create_connection({"name": name, "auth": {"specName": "Access Key", "params": keys | params},
                                 "connectionSpec": {"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}})
    api.connections[ref.id]["createdClient"] = client
    api.calls.clear()
    return ref.id


def test_leftover_of_this_client_is_adopted_not_duplicated(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    existing = leftover(api, bucketName="old-bucket")
    cfg = config(description="d")
    result = handler.plan(None, proposed_from(blank(), cfg), cfg)
    (note,) = result.diagnostics
    assert note.severity == "warning" and existing in note.detail and "adopt" in note.summary
    state = handler.create(result.planned_state, cfg).state
    assert state["id"] == existing and state["etag"] == api.connections[existing]["etag"]
    assert api.operations() == ["list", "update"]  # no POST: one PATCH to the configuration
    (_, (_, _, ops)) = api.calls[1]
    assert {"op": "replace", "path": "/auth/params/s3SecretKey", "value": "SK"} in ops
    assert {"op": "remove", "path": "/auth/params/bucketName"} in ops
    assert {"op": "add", "path": "/description", "value": "d"} in ops
    assert len(api.connections) == 1


def test_connection_of_this_client_that_this_state_never_began_is_refused(handler: S3BaseConnection,
                                                                         api: FakeConnectionsApi) -> None:
    """Another repository or state with the same technical account and the same name: not adopted."""
    existing = leftover(api, claimed=False)
    cfg = config()
    with pytest.raises(DiagnosticsError) as raised:
        handler.plan(None, proposed_from(blank(), cfg), cfg)
    (diag,) = raised.value.diagnostics
    assert existing in diag.detail and CLIENT_ID in diag.detail and "did not create it" in diag.detail
    assert "import_from" in diag.detail and "another name" in diag.detail and " at 20" in diag.detail
    with pytest.raises(DiagnosticsError):
        handler.create(proposed_from(blank(), cfg) | {"auth_spec_name": "Access Key"}, cfg)
    assert api.operations() == ["list"]


def test_a_claim_older_than_the_object_by_name_only_admits_objects_made_after_it(
        handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    """A claim left long ago (its create never reached Flow Service) does not reach an object someone
    made before it; a claim that holds an id admits that object only."""
    existing = leftover(api, claimed=False)
    api.connections[existing]["createdAt"] -= 3_600_000
    api.journal.begin("connections", "prod", "conn", CLIENT_ID)
    cfg = config()
    with pytest.raises(DiagnosticsError):
        handler.plan(None, proposed_from(blank(), cfg), cfg)
    api.journal.hold("connections", "prod", "conn", CLIENT_ID, "another-id")
    with pytest.raises(DiagnosticsError):
        handler.plan(None, proposed_from(blank(), cfg), cfg)
    api.journal.hold("connections", "prod", "conn", CLIENT_ID, existing)
    assert [d.severity for d in handler.plan(None, proposed_from(blank(), cfg), cfg).diagnostics] == ["warning"]


def test_connection_of_another_client_is_refused_with_how_to_import(handler: S3BaseConnection,
                                                                    api: FakeConnectionsApi) -> None:
    existing = leftover(api, client="someone-else")
    cfg = config()
    with pytest.raises(DiagnosticsError) as raised:
        handler.plan(None, proposed_from(blank(), cfg), cfg)
    (diag,) = raised.value.diagnostics
    assert existing in diag.detail and "import_from" in diag.detail and "someone-else" in diag.detail
    with pytest.raises(DiagnosticsError):
        handler.create(proposed_from(blank(), cfg) | {"auth_spec_name": "Access Key"}, cfg)
    assert "create" not in api.operations() and "update" not in api.operations()


def test_two_creates_of_one_name_in_one_apply_are_refused(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    create(handler)
    with pytest.raises(DiagnosticsError, match="Duplicate connection name"):
        create(handler)
    assert api.operations().count("create") == 1


def test_an_unknown_sandbox_fails_the_plan_with_one_call(handler: S3BaseConnection, api: FakeConnectionsApi) -> None:
    from aep_client import NotFoundError

    api.fail_next = NotFoundError(404, "2100", "Sandbox not found", "The sandbox named 'prdo' could not be found")
    cfg = config()
    for _ in range(2):
        with pytest.raises(DiagnosticsError, match="listing") as raised:
            handler.plan(None, proposed_from(blank(), cfg), cfg)
        assert "prdo" in raised.value.diagnostics[0].detail
    assert api.operations() == ["list"]


def test_read_of_a_missing_sandbox_is_an_error_not_a_deletion(handler: S3BaseConnection,
                                                              api: FakeConnectionsApi) -> None:
    from aep_client import NotFoundError

    state = create(handler)
    api.fail_next = NotFoundError(404, "2100", "Sandbox not found", "no such sandbox")
    with pytest.raises(DiagnosticsError):
        handler.read(state)


def test_a_wrong_url_or_a_dead_endpoint_is_one_cause_never_a_deletion(handler: S3BaseConnection,
                                                                       api: FakeConnectionsApi) -> None:
    """Each object refreshed meets the same diagnostic, whatever its path, so a report can show it once;
    nothing is recorded as gone, so no plan re-creates anything."""
    from aep_client import Endpoint, UnknownPathError, UnreachableError

    flow = Endpoint("Flow Service", "AEP_FLOW_SERVICE_URL", "http://127.0.0.1:9/data/foundation/flowservic")
    first, second = create(handler), create(handler, name="other")
    failures = [lambda path: UnknownPathError(flow, 404, "404000", None, "Not Found", method="GET", path=path),
                lambda path: UnreachableError(flow, "connection refused", 12, method="GET", path=path)]
    for failure in failures:
        seen = []
        for state in (first, second):
            api.fail_next = failure(f"/connections/{state['id']}")
            with pytest.raises(DiagnosticsError) as raised:
                handler.read(state)
            (diagnostic,) = raised.value.diagnostics
            seen.append((diagnostic.summary, diagnostic.detail))
        assert seen[0] == seen[1] and "AEP_FLOW_SERVICE_URL=http://127.0.0.1:9/data/foundation/flowservic" in seen[0][0]
    assert handler._gone == {}


def test_update_that_may_have_been_applied_keeps_the_known_etag(handler: S3BaseConnection,
                                                               api: FakeConnectionsApi) -> None:
    from aep_client import PreconditionFailedError

    prior = create(handler, session_token_wo="T1", session_token_wo_version="1")
    cfg = config(session_token_wo="T2", session_token_wo_version="2")
    planned = handler.plan(prior, proposed_from(prior, cfg), cfg).planned_state
    api.fail_next = PreconditionFailedError(412, "1404", None, "mismatch", etag_sent=prior["etag"],
                                            current_etag='"now"', maybe_applied=True)
    with pytest.raises(DiagnosticsError) as raised:
        handler.update(prior, planned, cfg)
    assert "may have been applied" in raised.value.diagnostics[0].summary
    assert "changed in Flow Service since" not in raised.value.diagnostics[0].summary
    kept = raised.value.state
    assert kept is not None and kept["etag"] == '"now"' and kept["session_token_wo_version"] == "1"
