"""The `property=` filters every service's lists share: `<path><op><value>` on any member of a
record, arrays matching when one of their members does.

Operators: `==`, `!=`, `<`, `>`, `<=`, `>=`, `~` (contains: a regular expression searched in the
value, so a plain word is a substring), and a bare path (the member exists). A comma in the value
means OR (`==` only); several `property` parameters AND. A path is dotted; an array anywhere on
it is walked into (`sourceConnectionIds==<id>`, or as Adobe's guide writes it
`sourceConnectionIds[]==<id>`, `transformations[].params.mappingId==<id>`). Adobe's own examples
quote string values (`name=="CloudStorageToAEP"`): the quotes are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import Refusal

OPERATORS = ("==", "!=", ">=", "<=", ">", "<", "~")
EXISTS = "exists"
_PROPERTY = re.compile(r"^([A-Za-z_$@][A-Za-z0-9_.:$@\[\]-]*?)\s*([=!<>~]+)(.*)$", re.DOTALL)
_PATH = re.compile(r"[A-Za-z_$@][A-Za-z0-9_:$@-]*(\[\])?(\.[A-Za-z_$@][A-Za-z0-9_:$@-]*(\[\])?)*")
# A refusal of the service that lists: (kind of problem, the offending text) -> its own code.
Refuse = Callable[[str, str], Refusal]


@dataclass(frozen=True)
class Condition:
    field: str        # the dotted path without `[]`
    op: str
    values: tuple[str, ...]

    def matches(self, record: Mapping[str, Any]) -> bool:
        found = list(values_at(record, self.field))
        if self.op == EXISTS:
            return bool(found)
        if self.op == "!=":
            return not any(_compare(actual, "==", wanted) for actual in found for wanted in self.values)
        return any(_compare(actual, self.op, wanted) for actual in found for wanted in self.values)


def values_at(record: Any, path: str) -> Iterator[Any]:
    """Every value the dotted path reaches, walking into arrays on the way and at its end."""
    if isinstance(record, list):
        for item in record:
            yield from values_at(item, path)
        return
    if not path:
        if record is not None:
            yield record
        return
    if not isinstance(record, Mapping):
        return
    head, _, rest = path.partition(".")
    if head in record:
        yield from values_at(record[head], rest)


def parse_condition(prop: str, refuse: Refuse, *, allow_exists: bool = False) -> Condition:
    """One `property=` value; `refuse("syntax" | "operator" | "multiple", text)` for a bad one."""
    match = _PROPERTY.match(prop)
    if match is None:
        if allow_exists and _PATH.fullmatch(prop.strip()):
            return Condition(prop.strip().replace("[]", ""), EXISTS, ())
        raise refuse("syntax", prop)
    field, op, raw = match.groups()
    if not _PATH.fullmatch(field):
        raise refuse("syntax", prop)
    if op not in OPERATORS:
        raise refuse("operator", op)
    if raw == "":
        raise refuse("syntax", prop)
    values = tuple(_unquote(v) for v in raw.split(","))
    if len(values) > 1 and op != "==":
        raise refuse("multiple", op)
    return Condition(field.replace("[]", ""), op, values)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value


def _compare(actual: Any, op: str, wanted: str) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        text = str(actual).lower() if isinstance(actual, bool) else str(actual)
        if op == "~":
            return _contains(text, wanted)
        return _ordered(text, op, wanted)
    if op == "~":
        return _contains(str(actual), wanted)
    try:
        number = float(wanted)
    except ValueError:
        return op == "!="
    return _ordered(actual, op, number)


def _contains(text: str, wanted: str) -> bool:
    try:
        return re.search(wanted, text) is not None
    except re.error:
        return wanted in text


def _ordered(actual: Any, op: str, wanted: Any) -> bool:
    if op == "==":
        return bool(actual == wanted)
    if op == "!=":
        return bool(actual != wanted)
    if op == ">=":
        return bool(actual >= wanted)
    if op == "<=":
        return bool(actual <= wanted)
    if op == ">":
        return bool(actual > wanted)
    return bool(actual < wanted)


def first(query: Mapping[str, Any], name: str) -> str | None:
    """The first value of a query parameter, or None when it is absent."""
    values = query.get(name)
    return values[0] if values else None


def whole(value: str, name: str, refuse: Callable[[str], Refusal]) -> int:
    """A query parameter that must be a whole number (`limit`, `start`, `version`)."""
    if not value.isdigit():
        raise refuse(f"{name}={value} is not a whole number.")
    return int(value)


def query_refusal(refuse: Callable[[str], Refusal]) -> Refuse:
    """A `parse_condition` refusal from a service's bad-request refusal."""
    return lambda kind, text: refuse(f"The query value '{text}' is not valid ({kind}).")
