"""Request bodies every service reads the same way: JSON, and RFC 6902 JSON Patch documents.

A problem is the answering service's refusal, made by the `refuse` it passes (a message in, its
own code out), so a malformed body never crashes a handler.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jsonpatch

from .errors import Refusal

Refuse = Callable[[str], Refusal]


def parse_json(body: bytes, refuse: Refuse) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"The request body is not valid UTF-8: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ""
        if exc.msg.startswith(("Invalid control character", "Unterminated string")):
            hint = " A string value is not closed by a double quote (or holds a raw line break)."
        raise refuse(f"Malformed JSON in request body: {exc}.{hint}") from None


def parse_object(body: bytes, refuse: Refuse) -> dict[str, Any]:
    payload = parse_json(body, refuse) if body.strip() else None
    if not isinstance(payload, dict):
        raise refuse("The request body must be a JSON object.")
    return payload


def is_patch(payload: Any) -> bool:
    """Whether a parsed body is a JSON Patch array (aepp sends some as plain application/json)."""
    return isinstance(payload, list) and all(isinstance(op, dict) and "op" in op for op in payload)


def apply_patch(document: dict[str, Any], ops: Any, refuse: Refuse) -> dict[str, Any]:
    """RFC 6902 over a copy of `document`: the patched copy, or the service's refusal."""
    if not is_patch(ops) or not ops:
        raise refuse("The body must be a non-empty JSON Patch array of {op, path, value} operations.")
    try:
        patched = jsonpatch.apply_patch(document, ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as exc:
        raise refuse(f"The JSON Patch cannot be applied: {exc}") from None
    if not isinstance(patched, dict):
        raise refuse("The JSON Patch must leave an object.")
    return patched
