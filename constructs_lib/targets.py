"""Where a dataflow's records go, declared once for every sandbox: the XDM schema, the dataset and
the mapping set of Adobe's tutorial (steps 2, 3 and 5), so promoting a pipeline from dev to prod
needs no click and no copied id.

* :class:`XdmSchema`: a tenant schema, its class and the fields a team ingests (name -> type);
* :class:`Dataset`: a dataset on one of those schemas (deletion-protected by default);
* :class:`Mappings`: a mapping set from source columns (or expressions, or constants) to the
  schema's fields, one :class:`Map` per line.

A :class:`~constructs_lib.fleet.Dataflow` names a dataset and a mapping set by key. Each sandbox
gets its own objects from one declaration, in its first stack; a dataflow placed in another stack
of the sandbox finds them by name (data sources read once they exist; see :func:`targets_hash`).
Everything is checked at synth, all at once: field names and types, a mapping's destinations
against its schema's fields, that a dataflow's mapping writes to its dataset's schema.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from aep_spec import dataprep, xdm
from aep_spec.rules import RuleViolation, check_text

#: The types a declared field may have (what a CSV column's value becomes).
FIELD_TYPES = ("string", "number", "integer", "boolean", "date", "date-time")


@dataclass(frozen=True)
class XdmSchema:
    """A tenant XDM schema: ``fields`` maps each field's name to its type (one of :data:`FIELD_TYPES`).
    ``class_id`` defaults to XDM Individual Profile. The name is the schema's title, unique in the
    sandbox's tenant; ``key`` is its Terraform address (``aep_xdm_schema.<key>``): keep it stable.
    Adding fields later is a change in place; removing or retyping one is refused once a dataset
    uses the schema."""

    key: str
    name: str
    fields: Mapping[str, str]
    description: str | None = None
    class_id: str | None = None
    sandboxes: tuple[str, ...] = ()

    def violations(self) -> list[RuleViolation]:
        out = check_text(self.name, "name", required=True)
        if self.description is not None:
            out += check_text(self.description, "description")
        if not self.fields:
            out.append(RuleViolation("fields", "declare at least one field (a column of the files ingested)"))
        for name, kind in self.fields.items():
            out += xdm.check_field_name(name, f"fields.{name}")
            if kind not in FIELD_TYPES:
                out.append(RuleViolation(f"fields.{name}", f"type must be one of {', '.join(FIELD_TYPES)}", kind))
        return out


@dataclass(frozen=True)
class Dataset:
    """A dataset on the schema declared with key ``schema``. ``deletion_protection`` (default on)
    refuses, at plan, deleting or replacing it while it holds records."""

    key: str
    name: str
    schema: str
    description: str | None = None
    deletion_protection: bool = True
    sandboxes: tuple[str, ...] = ()

    def violations(self) -> list[RuleViolation]:
        out = check_text(self.name, "name", required=True)
        if self.description is not None:
            out += check_text(self.description, "description")
        return out


@dataclass(frozen=True)
class Map:
    """One mapping line: ``source`` (a column of the file; an expression or a constant with
    ``kind``) to ``to``, a field of the schema by name (``orderId``) or an XDM path (``_acme.orderId``)."""

    source: str
    to: str
    kind: str = "ATTRIBUTE"


@dataclass(frozen=True)
class Mappings:
    """A mapping set to the schema declared with key ``schema``, one :class:`Map` per line. A change
    writes its next version, and the dataflows that use it move to it in the same apply."""

    key: str
    name: str
    schema: str
    rules: Sequence[Map] = field(default_factory=tuple)
    description: str | None = None
    sandboxes: tuple[str, ...] = ()

    def violations(self, schema: XdmSchema | None) -> list[RuleViolation]:
        out = check_text(self.name, "name", required=True)
        if not self.rules:
            out.append(RuleViolation("rules", "declare at least one mapping line (Map(source, to))"))
        for index, line in enumerate(self.rules):
            where = f"rules[{index}]"
            if not isinstance(line, Map):  # a typed app cannot, a dynamic one may
                out.append(RuleViolation(where, "must be a Map(source, to)", type(line).__name__))  # type: ignore[unreachable]
                continue
            destination = line.to if "." in line.to else f"_tenant.{line.to}"
            out += dataprep.check_mapping({"sourceType": line.kind, "source": line.source,
                                           "destination": destination}, where)
            if schema is not None and "." not in line.to and line.to not in schema.fields:
                known = ", ".join(sorted(schema.fields))
                out.append(RuleViolation(f"{where}.to", f"names no field of schema {schema.key!r} (its fields: "
                                                        f"{known})", line.to))
        return out

    def lines(self, paths_of: str) -> list[dict[str, str]]:
        """The ``mappings`` attribute: a field name becomes the schema's path for it (``paths``)."""
        return [{"source": line.source, "source_type": line.kind,
                 "destination": line.to if "." in line.to else f"${{{paths_of}[\"{line.to}\"]}}"}
                for line in self.rules]


@dataclass(frozen=True)
class Targets:
    """What one sandbox gets of the declarations above."""

    schemas: list[XdmSchema] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    mappings: list[Mappings] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.schemas or self.datasets or self.mappings)


def targets_hash(targets: Targets) -> str:
    """A digest of a sandbox's target declarations: the input of the ``terraform_data`` that the
    name look-ups of its other stacks depend on, so they are read at apply (after its first stack
    made the objects) whenever the declarations change, and at plan otherwise."""
    doc = json.dumps([[asdict(s) for s in targets.schemas], [asdict(d) for d in targets.datasets],
                      [{**asdict(m), "rules": [asdict(r) for r in m.rules]} for m in targets.mappings]],
                     sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:16]


def check_names(items: Sequence[XdmSchema | Dataset | Mappings], what: str) -> list[tuple[str, str]]:
    """(name, 'repeated') for names used twice in a sandbox: the provider's invariant."""
    seen: set[str] = set()
    repeated: list[tuple[str, str]] = []
    for item in items:
        if item.name in seen:
            repeated.append((item.name, f"each {what} name must be unique per sandbox"))
        seen.add(item.name)
    return repeated
