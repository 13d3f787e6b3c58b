"""What the look-ups by name share: one object of a kind this provider manages, found by its name.

Why: a team adopts AEP objects gradually. A schema, dataset or mapping set made in the UI (or by
another team) is referred to by name first, and imported into a resource later, if ever. The look-up
reads the kind's own listing of the sandbox (the :class:`~aep_provider.resources.inventory.Inventory`
the resource keeps), so a plan that also creates objects of that kind still lists it once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aep_provider.data_sources.base import FlowDataSource
from aep_provider.protocol.resource import Attribute, Value, error, known_str
from aep_provider.resources.flow_object import FlowObject


def looked_up(noun: str, key: str = "name") -> Attribute:
    """The one input: the name (a schema's title) to look up, compared exactly."""
    return Attribute("name", "string", required=True, description=(
        f"The {noun}'s {key}, exactly (case included). It must match exactly one {noun} of the provider's sandbox."))


def found_id(noun: str) -> Attribute:
    return Attribute("id", "string", computed=True, description=f"The {noun}'s id.")


class NamedLookup(FlowDataSource):
    """A data source whose object is the one of its kind with the configured name."""

    #: The attributes filled from the resource's state of the object found (besides ``id``).
    outputs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, kind: FlowObject) -> None:
        super().__init__()
        self.kind = kind

    def read(self, config: dict[str, Value]) -> dict[str, Value]:
        name = known_str(config, "name")
        with self.failures(f"{self.kind.noun} look-up"):
            record = self.one(name, self.kind.inventory.named(name))
            values = self.values(record)
        return dict(config, id=record["id"], **{output: values.get(output) for output in self.outputs})

    def one(self, name: str, found: list[dict[str, Any]]) -> dict[str, Any]:
        """The object named ``name``, or the error that says why there is not exactly one."""
        noun, sandbox = self.kind.noun, self.kind.context.sandbox_name
        if len(found) == 1:
            return found[0]
        if not found:
            raise error(f"No {noun} named {name!r} in sandbox {sandbox!r}", (
                f"None of the sandbox's {noun}s has this name (compared exactly, case included). Check the name, "
                "and the sandbox the provider works in (sandbox_name, AEP_SANDBOX_NAME)."), ("name",))
        ids = ", ".join(str(item.get("id")) for item in found)
        raise error(f"{len(found)} {noun}s named {name!r} in sandbox {sandbox!r}", (
            f"Their ids: {ids}. A look-up by name needs exactly one. Rename all but one in AEP, or use the id of "
            f"the one you mean instead of this data source (or import it into an {self.kind.type_name} resource)."),
            ("name",))

    def values(self, record: dict[str, Any]) -> dict[str, Value]:
        """The object's attributes as the resource reads them from a record of the listing."""
        blank: dict[str, Value] = {attr.name: None for attr in self.kind.schema.attributes}
        return self.kind.state_from_record(record, blank)
