"""The Python-side resource interface that sits behind the tfplugin6 protocol layer.

The protocol layer turns gRPC calls into calls on these classes and knows nothing of AEP;
handlers (``aep_provider.resources``) know nothing of gRPC. The shape follows Pulumi's
dynamic providers: check, plan, create, read, update, delete, import; data sources only check
and read.

Values are plain Python (:data:`Value`): ``dict`` for objects, ``list``/``set`` as lists,
``str``/``int``/``float``/``bool``, ``None`` for null, and the ``UNKNOWN`` sentinel for a value
Terraform does not know yet (including refined unknowns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, TypeAlias, final


@final
class Unknown:
    """A value Terraform does not know yet (msgpack extension 0, or 12 with refinements).

    One instance, :data:`UNKNOWN`, compared with ``is``. It is truthy on purpose: an unknown is
    not "empty", and code that tests a value's truth must decide what an unknown means.
    """

    __slots__ = ()
    _instance: ClassVar[Unknown | None] = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()

#: A decoded Terraform value: objects are dicts, lists and sets are lists, null is None.
Value: TypeAlias = "str | int | float | bool | Unknown | list[Value] | dict[str, Value] | None"
#: An object value (a resource's state, plan or configuration) keyed by attribute name.
Values: TypeAlias = dict[str, Value]
AttrPath = tuple[str | int, ...]  # ("auth", "bucket_name") or ("tags", 0)


def known_str(values: Values, name: str) -> str:
    """The string ``values[name]``; a typed handler's guard where the schema promises a known string."""
    value = values.get(name)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a known string here (it is {type(value).__name__})")
    return value


@dataclass(frozen=True)
class Attribute:
    """One attribute of a schema block; ``type`` is a cty type in its JSON form ("string", ["list","string"])."""

    name: str
    type: Any
    description: str = ""
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    write_only: bool = False
    deprecated: bool = False


@dataclass(frozen=True)
class Schema:
    """A resource's or the provider's schema: flat attributes are all this project needs."""

    attributes: tuple[Attribute, ...]
    version: int = 0
    description: str = ""

    def attribute(self, name: str) -> Attribute:
        for attr in self.attributes:
            if attr.name == name:
                return attr
        raise KeyError(name)


@dataclass(frozen=True)
class Diagnostic:
    """A Terraform diagnostic; ``path`` points Terraform at the offending attribute."""

    severity: Literal["error", "warning"]
    summary: str
    detail: str = ""
    path: AttrPath | None = None


class DiagnosticsError(Exception):
    """Raised by a handler to fail the current RPC with these diagnostics.

    ``state``, when given on an apply, is what Terraform should record despite the failure (the
    object changed in a way the handler knows); otherwise the prior state stays.
    """

    def __init__(self, diagnostics: list[Diagnostic], state: dict[str, Value] | None = None) -> None:
        super().__init__("; ".join(d.summary for d in diagnostics))
        self.diagnostics = diagnostics
        self.state = state


def error(summary: str, detail: str = "", path: AttrPath | None = None) -> DiagnosticsError:
    """Shortcut for a single-error DiagnosticsError."""
    return DiagnosticsError([Diagnostic("error", summary, detail, path)])


@dataclass
class PlanResult:
    """What ``plan`` returns: the planned state and the attributes that force a replacement."""

    planned_state: dict[str, Value]
    requires_replace: Sequence[AttrPath] = ()
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class ReadResult:
    """What ``read`` returns: ``state`` is None when the remote object is gone."""

    state: dict[str, Value] | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class ApplyResult:
    """What ``create``/``update`` return: the new state, with every schema attribute present."""

    state: dict[str, Value]
    diagnostics: list[Diagnostic] = field(default_factory=list)


class ResourceHandler:
    """One Terraform resource type. Subclasses override what they support.

    ``state``/``planned``/``config`` dicts always carry every attribute of ``schema``
    (null as None). Write-only attributes appear only in ``config``; the protocol layer
    nulls them in anything returned to Terraform, as the protocol requires.
    """

    type_name: str = ""
    schema: Schema = Schema(attributes=())

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """Validate configuration before any plan (ValidateResourceConfig); unknowns may appear."""
        return []

    def plan(
        self,
        prior: dict[str, Value] | None,
        proposed: dict[str, Value],
        config: dict[str, Value],
    ) -> PlanResult:
        """Plan a create (prior None) or update; mark computed values that will change UNKNOWN."""
        return PlanResult(planned_state=proposed)

    def plan_delete(self, prior: dict[str, Value]) -> list[Diagnostic]:
        """A plan that deletes the object (a destroy, or the resource left out of the configuration):
        an error refuses it (data that would be lost, say); nothing else is planned here."""
        return []

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        raise NotImplementedError

    def read(self, state: dict[str, Value]) -> ReadResult:
        raise NotImplementedError

    def update(
        self,
        prior: dict[str, Value],
        planned: dict[str, Value],
        config: dict[str, Value],
    ) -> ApplyResult:
        raise NotImplementedError

    def delete(self, state: dict[str, Value]) -> None:
        raise NotImplementedError

    def import_(self, import_id: str) -> dict[str, Value]:
        """Return a state for ``import_id`` (only ``id`` needs to be set: read follows)."""
        raise NotImplementedError

    def upgrade_state(self, version: int, state: dict[str, Value]) -> dict[str, Value]:
        """Migrate a stored state (decoded JSON) written at schema ``version`` to the current one.

        Called for every stored instance, even at the current version. The protocol layer then
        drops names not in the schema and fills missing ones with null, so renames are all a
        handler usually needs to do here.
        """
        return state


class DataSourceHandler:
    """One Terraform data source type: configuration in, the object it describes out.

    Data sources keep no state of their own (Terraform reads them again on every plan), so
    there is no plan, create or delete: ``read`` is the whole lifecycle.
    """

    type_name: str = ""
    schema: Schema = Schema(attributes=())

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """Validate configuration before any read (ValidateDataResourceConfig); unknowns may appear."""
        return []

    def read(self, config: dict[str, Value]) -> dict[str, Value]:
        """The full object: ``config``'s values plus every computed attribute filled in.

        Raise :class:`DiagnosticsError` on failure. Terraform reads a data source whose
        configuration is not wholly known during apply, so ``config`` is normally known; should
        an UNKNOWN arrive anyway, the handler decides (Terraform refuses unknowns in the result).
        """
        raise NotImplementedError


class ProviderHandler:
    """The provider itself: its configuration schema and the resources it serves."""

    type_name: str = ""  # the provider's local name, e.g. "aep"
    schema: Schema = Schema(attributes=())

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        """ValidateProviderConfig."""
        return []

    def configure(self, config: dict[str, Value]) -> list[Diagnostic]:
        """ConfigureProvider: called once per process before any resource RPC."""
        return []

    def resources(self) -> dict[str, ResourceHandler]:
        """Resource handlers keyed by their full type name."""
        return {}

    def data_sources(self) -> dict[str, DataSourceHandler]:
        """Data source handlers keyed by their full type name."""
        return {}

    def stop(self) -> None:
        """StopProvider (Terraform was interrupted): make in-flight waits give up soon. Thread-safe."""
