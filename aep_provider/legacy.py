"""The guard served at release 0.1.0's provider address: a state not yet migrated fails at plan.

Terraform installs and configures every provider a state names, even one the configuration no
longer uses. A 0.1.0 state names ``terraform.local/aep/flowservice``; without this guard, init
would fail to find it, or, were the old provider still installed, plan would destroy every
0.1.0 object and create it again under the new type. The guard knows the old types (their
schemas are today's, which 0.1.0's equal) and answers ConfigureProvider, which Terraform calls
once per run before touching any of those objects, with one error naming the migration step.
Nothing here calls AEP.
"""

from __future__ import annotations

from aep_provider.protocol.plugin import serve
from aep_provider.protocol.resource import (
    DataSourceHandler,
    Diagnostic,
    ProviderHandler,
    ResourceHandler,
    Schema,
    Value,
)
from aep_provider.provider import PROVIDER_SCHEMA, AepProviderHandler
from aep_spec import legacy


class _OldResource(ResourceHandler):
    """A 0.1.0 resource type: its schema only (the provider refuses to configure first)."""

    def __init__(self, type_name: str, schema: Schema) -> None:
        self.type_name, self.schema = type_name, schema


class _OldDataSource(DataSourceHandler):
    def __init__(self, type_name: str, schema: Schema) -> None:
        self.type_name, self.schema = type_name, schema


class LegacyGuard(ProviderHandler):
    """Release 0.1.0's provider name and types, refusing to run with the migration step."""

    type_name = legacy.TYPE
    schema = PROVIDER_SCHEMA

    def __init__(self) -> None:
        current = AepProviderHandler()
        new_names = {new: old for old, new in legacy.RENAMED_TYPES.items()}
        self._resources: dict[str, ResourceHandler] = {
            new_names[name]: _OldResource(new_names[name], handler.schema)
            for name, handler in current.handlers.items() if name in new_names}
        self._data_sources: dict[str, DataSourceHandler] = {
            new_names[name]: _OldDataSource(new_names[name], reader.schema)
            for name, reader in current.readers.items() if name in new_names}

    def configure(self, config: dict[str, Value]) -> list[Diagnostic]:
        summary, detail = legacy.guard_message("This state")
        return [Diagnostic("error", summary, detail)]

    def resources(self) -> dict[str, ResourceHandler]:
        return dict(self._resources)

    def data_sources(self) -> dict[str, DataSourceHandler]:
        return dict(self._data_sources)


def main() -> None:
    """The entry point the mirror's launcher at the 0.1.0 address runs."""
    serve(LegacyGuard)
