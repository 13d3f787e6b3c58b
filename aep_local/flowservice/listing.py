"""List semantics shared by every collection and the spec lists: filters, order, count, pages.

Paging is keyset-based and the continuation token carries the whole query, so following
`_links.next.href` (or sending only `continuationToken`) stays correct while items change.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from aep_spec import platform

from ..core.listing import Condition, first, parse_condition
from . import errors

CONNECTION_FIELDS = ("id", "name", "description", "connectionSpec.id", "state", "createdAt",
                     "updatedAt")
NUMERIC_FIELDS = frozenset({"createdAt", "updatedAt"})
ORDER_FIELDS = ("name", "createdAt", "updatedAt", "id")
KNOWN_PARAMS = frozenset({"property", "orderby", "limit", "continuationToken", "count"})
MAX_LIMIT = platform.LIST_PAGE_MAX
# Members no filter may reach: what the emulator keeps for itself, and secrets (a filter on a
# secret would tell its value one guess at a time).
HIDDEN_PATHS = ("auth.params.s3SecretKey", "auth.params.s3SessionToken", "auth.params.s3AccessKey")


def _refuse(kind: str, text: str) -> errors.FlowError:
    if kind == "operator":
        return errors.FlowError("1440", 400, f"Operator '{text}' not implemented.")
    if kind == "multiple":
        return errors.FlowError("1443", 400, f"Operator '{text}' is not allowed for multiple values.")
    return errors.FlowError("1453", 400, f"Invalid query value {text} provided in query param.")


def parse_conditions(properties: Sequence[str]) -> list[Condition]:
    """Adobe's sort-and-filter guide: any member's path (arrays walked into), its operators."""
    conditions = []
    for prop in properties:
        condition = parse_condition(prop, _refuse)
        hidden = condition.field.split(".")[-1].startswith("_") or condition.field.startswith("_")
        if hidden or any(condition.field.startswith(p) for p in HIDDEN_PATHS):
            raise errors.FlowError("1449", 400, f"Invalid field {condition.field} in filter params.")
        if condition.field in NUMERIC_FIELDS and not all(v.lstrip("-").isdigit() for v in condition.values):
            raise errors.FlowError("1452", 400, f"Invalid value {','.join(condition.values)} for field "
                                   f"{condition.field}.")
        conditions.append(condition)
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


def list_records(records: list[dict[str, Any]], query: Mapping[str, Sequence[str]],
                 page_size: int, path: str,
                 view: Callable[[dict[str, Any]], dict[str, Any]],
                 fields: Sequence[str] = CONNECTION_FIELDS, default_order: str = "createdAt",
                 load: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Filter, count or page `records` per Adobe's list parameters.

    `records` are index entries holding `fields`; a filter on any other member reads the whole
    record through `load` (the stored document), once per record.
    """
    unknown = sorted(set(query) - KNOWN_PARAMS)
    if unknown:
        raise errors.FlowError("1451", 400, f"Invalid params {', '.join(unknown)} provided in "
                               "query params.")
    token = first(query, "continuationToken")
    if token:
        state = _decode_token(token)
        properties = list(state.get("property", []))
        orderby = state.get("orderby")
        limit_raw = state.get("limit")
        after = state["after"]
        # `_links.next.href` repeats the query beside the token; a different query is a mistake.
        given = {"property": query.get("property"), "orderby": first(query, "orderby"),
                 "limit": first(query, "limit")}
        kept = {"property": properties, "orderby": orderby, "limit": limit_raw}
        changed = [k for k, v in given.items() if v not in (None, []) and v != kept[k]]
        if changed:
            raise errors.FlowError("1453", 400, f"Invalid query value {', '.join(changed)} provided "
                                   "in query param: it differs from the query the continuationToken "
                                   "belongs to.")
    else:
        properties = list(query.get("property", []))
        orderby = first(query, "orderby")
        limit_raw = first(query, "limit")
        after = None
    count_raw = (first(query, "count") or "false").lower()
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

    conditions = parse_conditions(properties)
    deep = [c for c in conditions if c.field not in fields]
    shallow = [c for c in conditions if c.field in fields]
    selected = [r for r in records if all(c.matches(r) for c in shallow)
                and (not deep or _matches_all(deep, load(r) if load is not None else r))]
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
    body: dict[str, Any] = {"items": [view(r) for r in page], "_links": {}}
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
    """Connection and flow specs: few enough that filtering is all that is needed."""
    conditions = parse_conditions(query.get("property", []))
    return {"items": [s for s in all_specs if _matches_all(conditions, s)], "_links": {}}


def _matches_all(conditions: Sequence[Condition], record: Mapping[str, Any]) -> bool:
    return all(c.matches(record) for c in conditions)
