"""List semantics shared by every collection and the spec lists: filters, order, count, pages.

Paging is keyset-based and the continuation token carries the whole query, so following
`_links.next.href` (or sending only `continuationToken`) stays correct while items change.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aep_spec import platform

from . import errors

OPERATORS = ("==", ">=", "<=", ">", "<")
_PROPERTY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_.]*)\s*([=!<>~]+)(.*)$", re.DOTALL)
CONNECTION_FIELDS = ("id", "name", "description", "connectionSpec.id", "state", "createdAt",
                     "updatedAt")
NUMERIC_FIELDS = frozenset({"createdAt", "updatedAt"})
ORDER_FIELDS = ("name", "createdAt", "updatedAt", "id")
KNOWN_PARAMS = frozenset({"property", "orderby", "limit", "continuationToken", "count"})
MAX_LIMIT = platform.LIST_PAGE_MAX


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    values: tuple[Any, ...]

    def matches(self, record: dict[str, Any]) -> bool:
        actual = _field(record, self.field)
        if actual is None:
            return False
        # An array field (a flow's sourceConnectionIds) matches when one of its members does.
        members = actual if isinstance(actual, list) else [actual]
        return any(_compare(m, self.op, v) for m in members for v in self.values)


def _field(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if isinstance(wanted, int) and not isinstance(actual, int):
        return False
    if not isinstance(wanted, int):
        actual = str(actual)
    if op == "==":
        return bool(actual == wanted)
    if op == ">=":
        return bool(actual >= wanted)
    if op == "<=":
        return bool(actual <= wanted)
    if op == ">":
        return bool(actual > wanted)
    return bool(actual < wanted)


def parse_conditions(properties: Sequence[str], fields: Sequence[str]) -> list[Condition]:
    conditions = []
    for prop in properties:
        match = _PROPERTY_RE.match(prop)
        if not match or not match.group(3):
            raise errors.FlowError("1453", 400, f"Invalid query value {prop} provided in query "
                                   "param.")
        field, op, raw = match.groups()
        if op not in OPERATORS:
            raise errors.FlowError("1440", 400, f"Operator '{op}' not implemented.")
        if field not in fields:
            raise errors.FlowError("1449", 400, f"Invalid field {field} in filter params.")
        parts = raw.split(",")
        if len(parts) > 1 and op != "==":
            raise errors.FlowError("1443", 400, f"Operator '{op}' is not allowed for multiple "
                                   "values.")
        values: list[Any] = []
        for part in parts:
            if field in NUMERIC_FIELDS:
                try:
                    values.append(int(part))
                except ValueError:
                    raise errors.FlowError("1452", 400, f"Invalid value {raw} for field "
                                           f"{field}.") from None
            else:
                values.append(part)
        conditions.append(Condition(field, op, tuple(values)))
    return conditions


def parse_order(orderby: str | None, default: str = "createdAt") -> tuple[str, bool]:
    """(field, descending); by default `default` (oldest first for records, which keeps pages stable)."""
    if not orderby:
        orderby = default
    descending = orderby.startswith("-")
    field = orderby[1:] if orderby[:1] in "+-" else orderby
    # A literal "+" in a query string arrives as a space.
    field = field.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.]*", field):
        raise errors.FlowError("1432", 400, "Sort order specified is not correct, prepend + for "
                               "ascending order and - for descending order in the fieldName.")
    if field not in ORDER_FIELDS:
        raise errors.FlowError("1433", 400, f"Incorrect field= {field} passed in orderBy, "
                               "example are +name, -name, name.")
    return field, descending


def _sort_key(record: dict[str, Any], field: str) -> tuple[Any, str]:
    value = record.get(field)
    if field in NUMERIC_FIELDS:
        return (int(value or 0), record["id"])
    return (str(value or ""), record["id"])


def _encode_token(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
        if not isinstance(state, dict) or "after" not in state:
            raise ValueError("bad token")
        return state
    except (ValueError, TypeError):
        raise errors.FlowError("1453", 400, f"Invalid query value continuationToken={token} "
                               "provided in query param.") from None


def _first(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The first value of a query parameter, or None when it is absent."""
    values = query.get(name)
    return values[0] if values else None


def list_records(records: list[dict[str, Any]], query: Mapping[str, Sequence[str]],
                 page_size: int, path: str,
                 view: Callable[[dict[str, Any]], dict[str, Any]],
                 fields: Sequence[str] = CONNECTION_FIELDS, default_order: str = "createdAt") -> dict[str, Any]:
    """Filter, count or page `records` per Adobe's list parameters (`fields` may be filtered on)."""
    unknown = sorted(set(query) - KNOWN_PARAMS)
    if unknown:
        raise errors.FlowError("1451", 400, f"Invalid params {', '.join(unknown)} provided in "
                               "query params.")
    token = _first(query, "continuationToken")
    if token:
        state = _decode_token(token)
        properties = list(state.get("property", []))
        orderby = state.get("orderby")
        limit_raw = state.get("limit")
        after = state["after"]
        # `_links.next.href` repeats the query beside the token; a different query is a mistake.
        given = {"property": query.get("property"), "orderby": _first(query, "orderby"),
                 "limit": _first(query, "limit")}
        kept = {"property": properties, "orderby": orderby, "limit": limit_raw}
        changed = [k for k, v in given.items() if v not in (None, []) and v != kept[k]]
        if changed:
            raise errors.FlowError("1453", 400, f"Invalid query value {', '.join(changed)} provided "
                                   "in query param: it differs from the query the continuationToken "
                                   "belongs to.")
    else:
        properties = list(query.get("property", []))
        orderby = _first(query, "orderby")
        limit_raw = _first(query, "limit")
        after = None
    count_raw = (_first(query, "count") or "false").lower()
    if count_raw not in ("true", "false"):
        raise errors.FlowError("1453", 400, f"Invalid query value count={count_raw} provided in "
                               "query param.")
    if count_raw == "true" and limit_raw is not None:
        raise errors.limit_with_count()
    limit = page_size
    if limit_raw is not None:
        try:
            limit = int(limit_raw)
        except ValueError:
            limit = -1
        if not 1 <= limit <= MAX_LIMIT:
            raise errors.FlowError("1453", 400, f"Invalid query value limit={limit_raw} provided "
                                   "in query param.")

    conditions = parse_conditions(properties, fields)
    selected = [r for r in records if all(c.matches(r) for c in conditions)]
    if count_raw == "true":
        return {"count": len(selected)}
    field, descending = parse_order(orderby, default_order)
    selected.sort(key=lambda r: _sort_key(r, field), reverse=descending)
    if after is not None:
        after_key = tuple(after)
        if descending:
            selected = [r for r in selected if _sort_key(r, field) < after_key]
        else:
            selected = [r for r in selected if _sort_key(r, field) > after_key]
    page = selected[:limit]
    body: dict[str, Any] = {"items": [view(r) for r in page]}
    if len(selected) > limit:
        state = {"property": properties, "orderby": orderby, "limit": limit_raw,
                 "after": list(_sort_key(page[-1], field))}
        params: list[tuple[str, str]] = [("property", p) for p in properties]
        if orderby:
            params.append(("orderby", orderby))
        if limit_raw is not None:
            params.append(("limit", str(limit_raw)))
        params.append(("continuationToken", _encode_token(state)))
        body["_links"] = {"next": {"href": f"{path}?{urlencode(params)}"}}
    return body


def list_specs(all_specs: list[dict[str, Any]], query: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """Connection and flow specs: few enough that filtering is all that is needed.

    Adobe's own examples quote string values (`name=="CloudStorageToAEP"`); quotes are dropped.
    """
    properties = [_unquote(p) for p in query.get("property", [])]
    conditions = parse_conditions(properties, ("id", "name", "providerId"))
    return {"items": [s for s in all_specs if all(c.matches(s) for c in conditions)]}


def _unquote(prop: str) -> str:
    match = _PROPERTY_RE.match(prop)
    if not match:
        return prop
    field, op, raw = match.groups()
    values = [v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else v for v in raw.split(",")]
    return f"{field}{op}{','.join(values)}"
