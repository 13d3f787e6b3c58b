"""`data "aep_mapping_set"`: a Data Prep mapping set found by its name, with its latest version, so a
dataflow can use a mapping made elsewhere. Read from the sandbox's listing of mapping sets (once per
process, shared with the resource; it holds each set's latest version whole): no call of its own.
"""

from __future__ import annotations

from aep_provider.data_sources.by_name import NamedLookup, found_id, looked_up
from aep_provider.protocol.resource import Attribute, Schema
from aep_provider.resources.mapping_set import MAPPING_TYPE
from aep_spec import identity

SCHEMA = Schema(
    description=("An existing Data Prep mapping set, looked up by its name (`GET /mappingSets`): its id, latest "
                 "version, output schema and lines."),
    attributes=(
        looked_up("mapping set"),
        found_id("mapping set"),
        Attribute("version", "number", computed=True, description=(
            "Its latest version: what a dataflow's `mapping_version` names to use it as it is now.")),
        Attribute("schema_id", "string", computed=True, description="The output XDM schema `$id`."),
        Attribute("mappings", MAPPING_TYPE, computed=True, description=(
            "The lines of that version: `source`, `destination` (an XDM path), `source_type` (`ATTRIBUTE`, "
            "`EXPRESSION` or `STATIC`).")),
    ),
)


class MappingSetLookup(NamedLookup):
    type_name = identity.MAPPING_SET
    schema = SCHEMA
    outputs = ("version", "schema_id", "mappings")
