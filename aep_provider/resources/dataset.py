"""`aep_dataset`: a Catalog dataset on an XDM schema, where a dataflow's records land.

One POST to create (answered with a reference only: the next refresh reads the version), one
GET to refresh, one partial PATCH (with ``If-Match`` on the version read) to rename or describe,
one DELETE. Dataset names are not unique in Catalog; this provider keeps them unique per sandbox
all the same (like every kind), and a create carries a private tag whose value is its claim in the
state's journal, so a lost create is found by exactly that mark.

Deleting a dataset deletes its data. ``deletion_protection`` (on by default) refuses, at plan, any
deletion or replacement of a dataset that holds records (one look at its batches); turn it off in
the declaration, reviewed, to go ahead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aep_client.catalog import CLAIM_TAG
from aep_client.kinds import DATASETS
from aep_provider.protocol.resource import (
    UNKNOWN,
    Attribute,
    Diagnostic,
    PlanResult,
    Schema,
    Value,
)
from aep_provider.resources.context import KindApi
from aep_provider.resources.flow_object import FlowObject, as_dict, named, rule_diagnostics, tracked
from aep_provider.resources.ownership import Claim
from aep_spec import identity, ingestion

SCHEMA_CONTENT_TYPE = "application/vnd.adobe.xed+json;version=1"

SCHEMA = Schema(
    version=0,
    description=("A Catalog dataset (`POST /dataSets`) on an XDM schema: where a dataflow's records land. Deleting "
                 "it deletes its data: deletion protection (on by default) refuses that at plan."),
    attributes=(
        *named("dataset"),
        Attribute("schema_id", "string", required=True, description=(
            "The XDM schema `$id` (`schemaRef.id`). Changing it replaces the dataset (and deletes its data).")),
        Attribute("deletion_protection", "bool", optional=True, computed=True, description=(
            "While true (the default), a plan that would delete or replace this dataset while it holds records "
            "fails, naming how many. Set it to false in a reviewed change to delete it.")),
        *tracked("dataset"),
    ),
)


class Dataset(FlowObject):
    type_name = identity.DATASET
    schema = SCHEMA
    kind = DATASETS
    replacing = ("schema_id",)
    defaulted: ClassVar[dict[str, Value]] = {"deletion_protection": True}

    def _api(self) -> KindApi:
        return self.context.api().catalog

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        value = config.get("schema_id")
        return rule_diagnostics(ingestion.check_schema_id(value, "schema_id")
                                if isinstance(value, str) else [])

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        return {"schemaRef": {"id": planned["schema_id"], "contentType": SCHEMA_CONTENT_TYPE}}

    def stamped(self, body: dict[str, Any], claim: Claim) -> dict[str, Any]:
        return dict(body, tags={CLAIM_TAG: [claim.token]})

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        new = self.common(record, prior)
        new.update(schema_id=as_dict(record["raw"].get("schemaRef")).get("id"),
                   deletion_protection=prior.get("deletion_protection", True)
                   if prior.get("deletion_protection") is not None else True)
        return new

    # ---- data is never deleted by accident --------------------------------------------------

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        result = super().plan(prior, proposed, config)
        if prior is not None and result.requires_replace:
            result.diagnostics += self._protected(prior, "replaced (its schema changes)")
        return result

    def plan_delete(self, prior: dict[str, Value]) -> list[Diagnostic]:
        return self._protected(prior, "deleted")

    def _protected(self, prior: dict[str, Value], what: str) -> list[Diagnostic]:
        if prior.get("deletion_protection") is False or not isinstance(prior.get("id"), str):
            return []
        with self._api_errors("plan (reading the dataset's batches)"):
            batches = self.context.api().catalog.batches(str(prior["id"]))
        records = sum(int(as_dict(b.get("metrics")).get("recordsWritten") or 0) for b in batches)
        if not records:
            return []
        return [Diagnostic("error", f"Dataset {prior.get('name')!r} holds data and would be {what}", (
            f"{prior['id']} holds {records} record(s) in {len(batches)} batch(es); deleting it deletes them, "
            "for good. Its deletion_protection is on, so nothing was planned. If losing them is intended, set "
            "deletion_protection = false in the declaration (a reviewed change), apply, then make this change. "
            "To keep the data, keep the dataset (and point a new dataflow at a new one)."), ("deletion_protection",))]

    def unknown_on_create(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        if planned.get("deletion_protection") is UNKNOWN:
            planned["deletion_protection"] = True
