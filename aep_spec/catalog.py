"""Catalog facts: dataset ids and references, list limits, the tags a client may set, batch states.

The provider (plan) and the local AEP's Catalog read them here. Each ``check_*`` returns a list of
:class:`~aep_spec.rules.RuleViolation` and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from aep_spec.rules import RuleViolation

DATASET_ID_PATTERN: Final = r"[0-9a-f]{24}"
#: A list's page without ``limit``, and the largest ``limit`` Catalog takes.
LIST_DEFAULT_LIMIT: Final = 20
LIST_MAX_LIMIT: Final = 100
#: Tag names only Adobe sets (profile and identity enablement), and the prefix reserved to Adobe.
RESERVED_TAGS: Final = ("unifiedProfile", "unifiedIdentity")
RESERVED_TAG_PREFIX: Final = "adobe"
#: ``status`` of a batch as the local AEP reports it.
BATCH_STATUSES: Final = ("success", "failed")
#: The `Content-Type` of a JSON Patch (aepp also sends a patch array as plain application/json).
JSON_PATCH: Final = "application/json-patch+json"

_DATASET_ID = re.compile(DATASET_ID_PATTERN)


def dataset_ref(dataset_id: str) -> str:
    """What a create, patch or delete answers (in a one-element array): ``@/dataSets/<id>``."""
    return f"@/dataSets/{dataset_id}"


def id_of_ref(ref: str) -> str:
    """The id after the last ``/`` of an ``@/dataSets/<id>`` reference."""
    return ref.rsplit("/", 1)[-1]


def check_dataset_id(value: object, field: str = "dataset_id") -> list[RuleViolation]:
    if isinstance(value, str) and _DATASET_ID.fullmatch(value):
        return []
    return [RuleViolation(field, "must be a Catalog dataset id: 24 lowercase hexadecimal characters")]


def check_tags(tags: object, field: str = "tags") -> list[RuleViolation]:
    """``{"name": ["value", …]}``; names reserved to Adobe are refused."""
    if not isinstance(tags, Mapping):
        return [RuleViolation(field, "must be an object of tag names to arrays of strings")]
    problems: list[RuleViolation] = []
    for name, values in tags.items():
        where = f"{field}.{name}"
        if name in RESERVED_TAGS or str(name).lower().startswith(RESERVED_TAG_PREFIX):
            problems.append(RuleViolation(where, f"is reserved to Adobe ({', '.join(RESERVED_TAGS)} and names "
                                                 f"starting with {RESERVED_TAG_PREFIX})"))
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(RuleViolation(where, "must be an array of strings"))
    return problems
