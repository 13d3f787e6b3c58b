"""`data "aep_xdm_schema"`: an XDM schema of the tenant, found by its title, with the fields of its
tenant field group and their paths, so a mapping set can name them before the schema is managed here.

One listing of the tenant's schemas per process (shared with the resource) and one GET of the schema
found (the listing has no resolved fields).
"""

from __future__ import annotations

from typing import Any

from aep_client.kinds import SCHEMAS
from aep_provider.data_sources.by_name import NamedLookup, found_id, looked_up
from aep_provider.protocol.resource import Attribute, Schema, Value
from aep_spec import identity

SCHEMA = Schema(
    description=("An existing XDM schema of the tenant, looked up by its title (`GET /tenant/schemas`): its id, "
                 "class, and the fields of its tenant field group with their paths."),
    attributes=(
        looked_up("XDM schema", "title"),
        found_id("XDM schema"),
        Attribute("description", "string", computed=True, description="The schema's description."),
        Attribute("class_id", "string", computed=True, description="The XDM class `$id` the schema is based on."),
        Attribute("fields", ["map", "string"], computed=True, description=(
            "The tenant's fields (under `_<tenant>`), by name: each one's type (`string`, `number`, `integer`, "
            "`boolean`, `date`, `date-time`, or `object`/`array` for nested ones).")),
        Attribute("paths", ["map", "string"], computed=True, description=(
            "Each field's XDM path (`_<tenant>.<name>`): what a mapping's destination names.")),
        Attribute("tenant", "string", computed=True, description="The tenant id (`_<tenant>` holds the fields)."),
        Attribute("field_group_id", "string", computed=True, description=(
            "The `$id` of the tenant field group the schema is made of (the first, if it has several).")),
    ),
)


class XdmSchemaLookup(NamedLookup):
    type_name = identity.XDM_SCHEMA
    schema = SCHEMA
    outputs = ("description", "class_id", "fields", "paths", "tenant", "field_group_id")

    def values(self, record: dict[str, Any]) -> dict[str, Value]:
        """The schema read whole (its field groups resolved), as the resource refreshes it."""
        return super().values(self.api().registry.get(SCHEMAS, str(record["id"])))
