"""Experience Platform facts every call depends on: the shapes of an org id and a sandbox name.

Adobe writes IMS organization ids as 24 hex-like characters followed by ``@AdobeOrg`` and
sandbox names in lowercase letters, digits and hyphens; the rules below accept exactly those
shapes (any length of the id part, up to 256 characters of sandbox name) so that a typo is
caught before the first request rather than by a gateway error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from aep_spec.rules import RuleViolation, has_control_characters

#: The largest page a Flow Service list returns (``limit``). Adobe documents none; the local Flow
#: Service refuses more, and the provider asks for this much so a sandbox's listing is one call.
LIST_PAGE_MAX: Final = 1000

ORG_ID_PATTERN: Final = r"[A-Za-z0-9]+@AdobeOrg"
SANDBOX_NAME_PATTERN: Final = r"[a-z0-9](?:[a-z0-9-]{0,254}[a-z0-9])?"
SANDBOX_NAME_MAX: Final = 256

_ORG_ID = re.compile(ORG_ID_PATTERN)
_SANDBOX = re.compile(SANDBOX_NAME_PATTERN)


def check_org_id(value: object, field: str = "org_id") -> list[RuleViolation]:
    """``<letters and digits>@AdobeOrg``: the IMS organization id, as the Developer Console shows it."""
    if isinstance(value, str) and _ORG_ID.fullmatch(value):
        return []
    return [RuleViolation(field, "must be an IMS organization id such as 0123456789ABCDEF01234567@AdobeOrg "
                                 "(letters and digits, then @AdobeOrg)")]


def check_sandbox_name(value: object, field: str = "sandbox_name") -> list[RuleViolation]:
    """A sandbox name: lowercase letters, digits and inner hyphens (``prod``, ``dev-eu``)."""
    if isinstance(value, str) and _SANDBOX.fullmatch(value):
        return []
    return [RuleViolation(field, f"must be a sandbox name: 1 to {SANDBOX_NAME_MAX} lowercase letters, digits and "
                                 "hyphens, starting and ending with a letter or digit (for example prod or dev-eu)")]


def check_client_id(value: object, field: str = "client_id") -> list[RuleViolation]:
    """The OAuth client id (also the ``x-api-key``): non-blank, no whitespace or control characters."""
    if not isinstance(value, str) or not value.strip():
        return [RuleViolation(field, "must not be empty")]
    if has_control_characters(value) or any(c.isspace() for c in value):
        return [RuleViolation(field, "must not contain spaces or control characters")]
    return []


def check_settings(values: Mapping[str, object]) -> list[RuleViolation]:
    """Rules of the provider's settings, for the ones in ``values`` (the construct checks them at
    synth, the provider at plan; values from the environment are checked at configure)."""
    out: list[RuleViolation] = []
    for name in ("flow_service_url", "ims_url"):
        value = values.get(name)
        if value is not None and not (isinstance(value, str) and value.startswith(("https://", "http://"))):
            out.append(RuleViolation(name, "must be an http(s) URL"))
    for name, check in (("client_id", check_client_id), ("org_id", check_org_id),
                        ("sandbox_name", check_sandbox_name)):
        if values.get(name) is not None:
            out.extend(check(values[name], name))
    for name, minimum in (("request_timeout", 0), ("operation_timeout", 0), ("max_retries", -1)):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum):
            out.append(RuleViolation(name, "must be a number greater than 0" if minimum == 0 else "must be 0 or more"))
    return out


def is_client(reported: object, client_id: str) -> bool:
    """Whether ``createdClient``/``updatedClient`` of a record names the client ``client_id``.

    For service tokens Adobe reports the client as its id, or (like ``createdBy``) as
    ``<client id>@AdobeID``; both count.
    """
    return isinstance(reported, str) and reported.removesuffix("@AdobeID") == client_id
