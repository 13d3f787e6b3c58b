"""The ownership journal: its stores (files, S3) and how the shared lifecycle keeps it.

Adoption must reach exactly the objects this state began to create, so each create claims its
name before the POST, holds the id once it answered, and every delete or rename gives it up.
"""

from __future__ import annotations

import os
from pathlib import Path

import boto3
import pytest

from aep_client import CONNECTIONS, AmbiguousCreateError
from aep_client.errors import FlowServiceError
from aep_provider.protocol.resource import DiagnosticsError
from aep_provider.resources.ownership import (
    CLOCK_SKEW_MS,
    Claim,
    FileStore,
    JournalLocationError,
    OwnershipJournal,
    S3Store,
    open_journal,
)
from aep_provider.resources.s3_base_connection import S3BaseConnection
from tests.aep_provider.fake_api import CLIENT_ID, FakeConnectionsApi, context_for, now_ms
from tests.aep_provider.test_s3_base_connection import api, blank, config, handler, proposed_from
from tests.moto_server import MotoServer

__all__ = ["api", "handler"]  # the fixtures of test_s3_base_connection, shared


def claims_of(journal: OwnershipJournal) -> dict[str, str | None]:
    return {claim.name: claim.object_id for claim in journal.claims()}


def test_a_file_journal_keeps_claims_whole_per_object(tmp_path: Path) -> None:
    journal = open_journal(str(tmp_path / "owned"))
    journal.begin("connections", "dev", "orders", CLIENT_ID)
    journal.begin("flows", "dev", "orders", CLIENT_ID)
    claim = journal.claim("connections", "dev", "orders")
    assert claim is not None and claim.object_id is None and abs(claim.began_ms - now_ms()) < 60_000
    journal.hold("connections", "dev", "orders", CLIENT_ID, "c-1")
    held = journal.claim("connections", "dev", "orders")
    assert held is not None and held.object_id == "c-1" and held.client == CLIENT_ID
    assert sorted((c.kind, c.object_id) for c in journal.claims()) == [("connections", "c-1"), ("flows", None)]
    assert journal.claim("connections", "prod", "orders") is None
    journal.release("connections", "dev", "orders")
    assert journal.claim("connections", "dev", "orders") is None
    assert not [p for p in (tmp_path / "owned").rglob("*") if p.name.endswith(".tmp")]
    (tmp_path / "owned" / OwnershipJournal.key("flows", "dev", "orders")).write_text("{not json")
    assert journal.claim("flows", "dev", "orders") is None  # unreadable evidence is no evidence


def test_relative_journals_live_in_terraform_s_working_folder_and_bad_locations_are_named(tmp_path: Path) -> None:
    journal = open_journal(".aep-ownership", cwd=tmp_path)
    assert isinstance(journal.store, FileStore) and journal.store.root == tmp_path / ".aep-ownership"
    assert open_journal(f"file:{tmp_path}/x").store.describe() == f"{tmp_path}/x"
    for bad in ("https://example.com/x", "s3:///prefix", ""):
        with pytest.raises(JournalLocationError):
            open_journal(bad)


def test_an_s3_journal_beside_the_state_is_read_from_a_second_process() -> None:
    with MotoServer() as moto:
        env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
        os.environ.update(env)
        try:
            boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1").create_bucket(Bucket="states")
            where = f"s3://states/aep/s3-dev.tfstate.owned?region=us-east-1&endpoint={moto.url}"
            first = open_journal(where)
            assert isinstance(first.store, S3Store)
            first.begin("connections", "dev", "orders", CLIENT_ID)
            first.hold("flows", "dev", "daily", CLIENT_ID, "f-1")
            second = open_journal(where)  # a fresh checkout: nothing local
            assert claims_of(second) == {"orders": None, "daily": "f-1"}
            second.release("connections", "dev", "orders")
            assert first.claim("connections", "dev", "orders") is None
            keys = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1").list_objects_v2(
                Bucket="states")["Contents"]
            assert all(item["Key"].startswith("aep/s3-dev.tfstate.owned/flows/dev/") for item in keys)
        finally:
            for name in env:
                os.environ.pop(name, None)


def test_claims_admit_objects_made_after_they_began_or_the_id_they_hold() -> None:
    began = now_ms()
    claim = Claim("connections", "dev", "orders", CLIENT_ID, began)
    assert claim.admits({"id": "a", "createdAt": began + 10})
    assert claim.admits({"id": "a", "createdAt": began - CLOCK_SKEW_MS + 1})  # Flow Service's clock behind ours
    assert not claim.admits({"id": "a", "createdAt": began - CLOCK_SKEW_MS - 1})
    assert not claim.admits({"id": "a"})
    held = Claim("connections", "dev", "orders", CLIENT_ID, began, "a")
    assert held.admits({"id": "a", "createdAt": 0}) and not held.admits({"id": "b", "createdAt": began + 10})


def plan_and_create(handler: S3BaseConnection, failure: FlowServiceError | None = None, **values: object) -> dict:
    """Plan then create; ``failure`` is what the create's POST meets."""
    cfg = config(**values)
    planned = handler.plan(None, proposed_from(blank(), cfg), cfg).planned_state
    handler.context.api().fail_next = failure  # type: ignore[attr-defined]
    return handler.create(planned, cfg).state


def test_a_create_claims_its_name_before_the_post_and_holds_the_id_after(handler: S3BaseConnection,
                                                                        api: FakeConnectionsApi) -> None:
    seen: list[Claim | None] = []
    original = api.create

    def create_watching_the_journal(*args: object, **kwargs: object) -> object:
        seen.append(api.journal.claim("connections", "prod", "conn"))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    api.create = create_watching_the_journal  # type: ignore[method-assign,assignment]
    state = plan_and_create(handler)
    assert seen[0] is not None and seen[0].object_id is None  # the claim was there when the POST left
    assert claims_of(api.journal) == {"conn": state["id"]}


def test_a_refused_create_gives_its_claim_up_and_a_lost_answer_keeps_it(handler: S3BaseConnection,
                                                                        api: FakeConnectionsApi) -> None:
    with pytest.raises(DiagnosticsError):
        plan_and_create(handler, FlowServiceError(400, "CONNECTOR-1001-400", "Bad Request", "bad params"))
    assert claims_of(api.journal) == {} and api.operations() == ["list", "create"]
    fresh = S3BaseConnection()  # the next command: a new provider process
    fresh.configure(context_for(api))
    with pytest.raises(DiagnosticsError):
        plan_and_create(fresh, AmbiguousCreateError(message="the answer was lost"))
    assert claims_of(api.journal) == {"conn": None}


def test_a_journal_that_cannot_be_written_stops_the_create_before_any_post(handler: S3BaseConnection,
                                                                          api: FakeConnectionsApi) -> None:
    class Broken(FileStore):
        def write(self, key: str, data: bytes) -> None:
            raise PermissionError("read-only bucket")

    api.journal = OwnershipJournal(Broken(Path("/nonexistent")))
    handler.configure(context_for(api))
    with pytest.raises(DiagnosticsError) as raised:
        plan_and_create(handler)
    assert "ownership journal could not be written" in raised.value.diagnostics[0].summary
    assert "create" not in api.operations()


def test_delete_and_rename_give_the_claim_up_and_an_import_holds_it(handler: S3BaseConnection,
                                                                   api: FakeConnectionsApi) -> None:
    state = plan_and_create(handler)
    cfg = config(name="renamed")
    renamed = handler.update(state, proposed_from(state, cfg), cfg).state
    assert claims_of(api.journal) == {"renamed": state["id"]}
    handler.delete(renamed)
    assert claims_of(api.journal) == {}
    other = api.create_connection({"name": "made by hand", "auth": {"specName": "Access Key", "params": {}},
                                   "connectionSpec": {"id": "ecadc60c-7455-4d87-84dc-2a0e293d997b", "version": "1.0"}})
    read = handler.read(handler.import_(other.id)).state
    assert read is not None and claims_of(api.journal) == {"made by hand": other.id}
    assert api.of(CONNECTIONS)[other.id]["name"] == "made by hand"
