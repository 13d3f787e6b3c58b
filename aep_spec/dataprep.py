"""Data Prep (mapping set) facts: source types, the two request vocabularies, the emulator's
expression subset, and the rules of one mapping.

The provider (plan) and the local AEP's Data Prep read them here. Each ``check_*`` returns a list
of :class:`~aep_spec.rules.RuleViolation` and never raises.

Choices where Adobe's sources are silent (documented in docs/local_aep.md): an ``ATTRIBUTE`` is
stored as ``text/x.schema-path`` (documented), an ``EXPRESSION`` as ``text/x.aep-xl`` and a
``STATIC`` as ``STATIC`` (both unconfirmed); the local AEP evaluates only the expressions of
:data:`EXPRESSION_FUNCTIONS` over columns and quoted strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from aep_spec.rules import RuleViolation

MAPPING_SET_ID_PATTERN: Final = r"[0-9a-f]{32}"
SOURCE_TYPES: Final = ("ATTRIBUTE", "EXPRESSION", "STATIC")
#: How a read shows each source type (the request's name, or the stored media type).
STORED_SOURCE_TYPES: Final = {"ATTRIBUTE": "text/x.schema-path", "EXPRESSION": "text/x.aep-xl", "STATIC": "STATIC"}
#: The functions the local AEP evaluates in an ``EXPRESSION`` (arguments: columns or quoted strings).
EXPRESSION_FUNCTIONS: Final = ("lower", "upper", "trim", "concat")
#: The `contentType` of an output schema when the request names none.
DEFAULT_SCHEMA_CONTENT_TYPE: Final = "application/vnd.adobe.xed-full+json;version=1"
DESTINATION_PATTERN: Final = r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*"

_DESTINATION = re.compile(DESTINATION_PATTERN)


def source_type(value: object) -> str | None:
    """The request name of a source type given in either vocabulary; None when it is neither."""
    if value in SOURCE_TYPES:
        return str(value)
    for name, stored in STORED_SOURCE_TYPES.items():
        if value == stored:
            return name
    return None


def normalize(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """One mapping of either request form as ``{sourceType, source, destination}`` (+ name, description).

    The legacy form (Adobe's cloud storage tutorial) says ``sourceAttribute`` and
    ``destinationXdmPath`` and has no source type: it is an ``ATTRIBUTE``.
    """
    source = mapping.get("source", mapping.get("sourceAttribute"))
    destination = mapping.get("destination", mapping.get("destinationXdmPath"))
    kind = source_type(mapping["sourceType"]) if "sourceType" in mapping else "ATTRIBUTE"
    out = {"sourceType": kind, "source": source, "destination": destination}
    out |= {k: mapping[k] for k in ("name", "description", "identity", "primaryIdentity") if k in mapping}
    return out


def check_mapping(mapping: object, field: str) -> list[RuleViolation]:
    """A mapping's own rules: a known source type, a non-empty source, a dotted destination path."""
    if not isinstance(mapping, Mapping):
        return [RuleViolation(field, "must be an object")]
    problems: list[RuleViolation] = []
    if "sourceType" in mapping and source_type(mapping["sourceType"]) is None:
        problems.append(RuleViolation(f"{field}.sourceType", f"must be one of {', '.join(SOURCE_TYPES)}"))
    normalized = normalize(mapping) if not problems else dict(mapping)
    source, destination = normalized.get("source"), normalized.get("destination")
    if not isinstance(source, str) or not source:
        problems.append(RuleViolation(f"{field}.source", "must be a non-empty string"))
    if not isinstance(destination, str) or not _DESTINATION.fullmatch(destination):
        problems.append(RuleViolation(f"{field}.destination", "must be a dotted XDM path such as _acme.orderId"))
    return problems
