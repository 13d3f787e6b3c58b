"""XDM facts the Schema Registry enforces and that a run's records must obey: the tenant namespace,
field names and types, how a CSV cell becomes a value of a field's type, the global classes the
local AEP serves, the Accept headers of a read, and title uniqueness.

The provider (plan), the construct (synth) and the local AEP read the same rules here, so a field
group refused by one is refused by the others, in the same words. Each ``check_*`` returns a list
of :class:`~aep_spec.rules.RuleViolation` and never raises.

Choices where Adobe's sources are silent (documented in docs/local_aep.md):

* Types: ``string``, ``number``, ``integer``, ``boolean``, ``date`` and ``date-time`` (each a
  ``string`` with that ``format``), ``object`` (with ``properties``) and ``array`` (with ``items``).
* A CSV cell converts to its field's type: an empty cell is no value; ``integer`` takes an optional
  sign and digits; ``number`` any finite decimal or exponent form; ``boolean`` ``true`` or ``false``
  in any letter case; ``date`` ``YYYY-MM-DD``; ``date-time`` RFC 3339 with ``Z`` or an offset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, Final

from aep_spec.rules import RuleViolation

#: The classes the local AEP's global container serves (Adobe's ids for the first two).
PROFILE_CLASS: Final = "https://ns.adobe.com/xdm/context/profile"
EXPERIENCE_EVENT_CLASS: Final = "https://ns.adobe.com/xdm/context/experienceevent"
#: A record-behaviour class for rows of a CSV file: the local AEP's own (no Adobe class is that plain).
RECORD_CLASS: Final = "https://ns.adobe.com/xdm/classes/local-record"
CLASSES: Final = (PROFILE_CLASS, EXPERIENCE_EVENT_CLASS, RECORD_CLASS)
RECORD_BEHAVIOUR: Final = "https://ns.adobe.com/xdm/data/record"
TIME_SERIES_BEHAVIOUR: Final = "https://ns.adobe.com/xdm/data/time-series"
AUDITABLE: Final = "https://ns.adobe.com/xdm/common/auditable"
ADHOC: Final = "https://ns.adobe.com/xdm/data/adhoc"

#: Accept headers of a read (``version=1``: the latest minor of major 1).
ACCEPT_SUMMARY: Final = "application/vnd.adobe.xed-id+json"
ACCEPT_RAW: Final = "application/vnd.adobe.xed+json; version=1"
ACCEPT_FULL: Final = "application/vnd.adobe.xed-full+json; version=1"

#: The error code of a title another resource of the tenant already has; its
#: ``report.detailed-message`` names that resource's ``$id`` (the adoption key).
TITLE_NOT_UNIQUE: Final = "1521"
#: The local AEP's code for a breaking change to a schema a dataset uses, its deletion included
#: (Adobe's is unconfirmed), and for deleting a field group a schema uses.
BREAKING_CHANGE: Final = "1529"
IN_USE: Final = "1530"

TYPES: Final = ("string", "number", "integer", "boolean", "date", "date-time", "object", "array")
DATE_FORMATS: Final = ("date", "date-time")
FIELD_NAME_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9_-]*"
_FIELD_NAME = re.compile(FIELD_NAME_PATTERN)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
                        r"([Zz]|[+-][0-9]{2}:?[0-9]{2})")
_ID_URI = re.compile(r"https://ns\.adobe\.com/([A-Za-z0-9_-]+)/(schemas|mixins|classes|datatypes)/([A-Za-z0-9_.-]+)")


def tenant_namespace(tenant: str) -> str:
    """The top-level object every custom field of a tenant sits under: ``_acme`` for ``acme``."""
    return f"_{tenant}"


def tenant_of(resource_id: str) -> str | None:
    """``acme`` of ``https://ns.adobe.com/acme/schemas/…``; None for a global or malformed id."""
    found = _ID_URI.fullmatch(resource_id)
    return found.group(1) if found and found.group(1) != "xdm" else None


def alt_id(resource_id: str) -> str:
    """The dotted ``meta:altId`` of an ``$id``: ``_acme.schemas.<hex>``."""
    found = _ID_URI.fullmatch(resource_id)
    if found is None:
        return resource_id
    return f"_{found.group(1)}.{found.group(2)}.{found.group(3)}"


def field_type(definition: Mapping[str, Any]) -> str | None:
    """The XDM type of a field definition: one of :data:`TYPES`, None when it has no known type."""
    kind = definition.get("type")
    if kind == "string" and definition.get("format") in DATE_FORMATS:
        return str(definition["format"])
    return kind if isinstance(kind, str) and kind in TYPES else None


def check_field_name(name: object, field: str) -> list[RuleViolation]:
    if isinstance(name, str) and _FIELD_NAME.fullmatch(name):
        return []
    return [RuleViolation(field, "a field name holds letters, digits, - and _ and does not start with _")]


def check_properties(properties: object, where: str) -> list[RuleViolation]:
    """Every field below ``where``: a valid name, a known type, ``properties`` for objects and
    ``items`` for arrays."""
    if not isinstance(properties, Mapping):
        return [RuleViolation(where, "properties must be an object of field definitions")]
    problems: list[RuleViolation] = []
    for name, definition in properties.items():
        path = f"{where}.{name}"
        problems += check_field_name(name, path)
        if not isinstance(definition, Mapping):
            problems.append(RuleViolation(path, "must be a field definition (an object with a type)"))
            continue
        kind = definition.get("type")
        if kind not in ("string", "number", "integer", "boolean", "object", "array"):
            problems.append(RuleViolation(path, f"type must be one of {', '.join(TYPES[:4])}, object or array "
                                                "(date and date-time are a string with that format)"))
        elif kind == "string" and definition.get("format") not in (None, *DATE_FORMATS, "uri", "email"):
            problems.append(RuleViolation(path, "format of a string must be date, date-time, uri or email"))
        elif kind == "object":
            problems += check_properties(definition.get("properties"), path)
        elif kind == "array" and not isinstance(definition.get("items"), Mapping):
            problems.append(RuleViolation(path, "an array needs items (a field definition)"))
    return problems


def check_tenant_fields(properties: object, tenant: str, where: str = "properties") -> list[RuleViolation]:
    """A tenant field group's top level: only the ``_{tenant}`` object, whose fields follow the rules."""
    namespace = tenant_namespace(tenant)
    if not isinstance(properties, Mapping) or not properties:
        return [RuleViolation(where, f"a field group defines its fields under {namespace}")]
    problems = [RuleViolation(f"{where}.{name}", f"custom fields must sit under the tenant's {namespace} object")
                for name in properties if name != namespace]
    inner = properties.get(namespace)
    if isinstance(inner, Mapping):
        if inner.get("type") != "object":
            problems.append(RuleViolation(f"{where}.{namespace}", "must be an object"))
        problems += check_properties(inner.get("properties"), f"{where}.{namespace}")
    return problems


def leaf_fields(properties: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, XDM type) of every field below ``properties``; objects are walked, arrays are leaves."""
    for name, definition in properties.items():
        if not isinstance(definition, Mapping):
            continue
        path = f"{prefix}{name}"
        if definition.get("type") == "object" and isinstance(definition.get("properties"), Mapping):
            yield from leaf_fields(definition["properties"], f"{path}.")
        else:
            yield path, field_type(definition) or "string"


def convert(cell: str, xdm_type: str) -> Any:
    """A CSV cell as a value of ``xdm_type``; None for an empty cell; ValueError naming the type."""
    text = cell.strip()
    if text == "":
        return None
    if xdm_type == "integer":
        if not _INTEGER.fullmatch(text):
            raise ValueError(f"'{cell}' is not an integer")
        return int(text)
    if xdm_type == "number":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"'{cell}' is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"'{cell}' is not a finite number")
        return int(value) if _INTEGER.fullmatch(text) else value
    if xdm_type == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValueError(f"'{cell}' is not true or false")
        return text.lower() == "true"
    if xdm_type == "date":
        if not _DATE.fullmatch(text) or not _parses(date.fromisoformat, text):
            raise ValueError(f"'{cell}' is not a date (YYYY-MM-DD)")
        return text
    if xdm_type == "date-time":
        iso = text.replace("z", "Z").replace("Z", "+00:00")
        if not _DATE_TIME.fullmatch(text) or not _parses(datetime.fromisoformat, iso):
            raise ValueError(f"'{cell}' is not a date-time (RFC 3339, such as 2024-02-28T15:16:00Z)")
        return text
    if xdm_type in ("object", "array"):
        raise ValueError(f"a CSV cell cannot fill an {xdm_type} field")
    return cell


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True
