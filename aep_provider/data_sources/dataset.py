"""`data "aep_dataset"`: a Catalog dataset found by its name, so a target connection can write to a
dataset made elsewhere. Read from the sandbox's listing of datasets (once per process, shared with
the resource): no call of its own.
"""

from __future__ import annotations

from aep_provider.data_sources.by_name import NamedLookup, found_id, looked_up
from aep_provider.protocol.resource import Attribute, Schema
from aep_spec import identity

SCHEMA = Schema(
    description="An existing Catalog dataset, looked up by its name (`GET /dataSets`): its id and its schema.",
    attributes=(
        looked_up("dataset"),
        found_id("dataset"),
        Attribute("schema_id", "string", computed=True, description="The XDM schema `$id` the dataset is based on."),
        Attribute("description", "string", computed=True, description="The dataset's description."),
    ),
)


class DatasetLookup(NamedLookup):
    type_name = identity.DATASET
    schema = SCHEMA
    outputs = ("schema_id", "description")
