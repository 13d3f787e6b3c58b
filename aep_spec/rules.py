"""The S3 spec's rules as checks: the construct (synth), the provider (plan) and the local Flow
Service reject the same inputs, and the first two say why in the same words.

Each ``check_*`` returns a list of :class:`RuleViolation` (empty when the value is fine) and
never raises; callers decide whether a violation is an exception or a diagnostic. ``field`` is
the name the caller's user knows (``bucket_name`` for an app author, ``access_key_wo`` for a
Terraform user). Messages never contain a value that could be a secret.

Decisions where the spec is silent (rules too, so written here):

* ``folder_path`` may start with one ``/`` (a path from the bucket root); an empty path, a
  trailing ``/`` and empty components (``a//b``) are refused. Length counts characters.
* ``service_url`` is exactly the spec's ``https://s3.{REGION}.amazonaws.com`` (``.com.cn`` for
  China, an optional trailing ``/``): the pattern Flow Service validates it with.
* No string the project sends may hold control characters (U+0000-U+001F, U+007F-U+009F).
* ``IAMRole Based``: ``bucketName`` is required and the key parameters are refused.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from aep_spec import s3

_CONTROL = re.compile(f"[{s3.CONTROL_CHARACTERS}]")
_BUCKET_CHARS = re.compile(r"[a-z0-9-]*")
_REGION = re.compile(s3.REGION_PATTERN)
_SERVICE_URL = re.compile(s3.SERVICE_URL_PATTERN)
_SERVICE_URL_HINT = f"must be {s3.SERVICE_URL_FORMAT.format(region='{REGION}')} (for example https://s3.us-east-1.amazonaws.com)"


class _Hidden:
    """The value of a violation that is not shown: a secret, or one its check does not hold."""

    def __repr__(self) -> str:
        return "HIDDEN"


HIDDEN: Final = _Hidden()


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule: ``field`` is the name the user wrote, ``rule`` says what is wrong.

    ``value`` is the value the check judged, carried from the check itself so every caller can
    show what was declared (a caller's own look-up of a dotted field such as ``format.delimiter``
    lost it); :data:`HIDDEN` for secrets. It takes no part in equality: a rule is a rule.
    """

    field: str
    rule: str
    value: object = dataclasses.field(default=HIDDEN, compare=False)

    @property
    def shows_value(self) -> bool:
        return self.value is not HIDDEN

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"

    def described(self) -> str:
        """The violation with the value declared, when it may be shown."""
        return f"{self}; value: {self.value!r}" if self.shows_value else str(self)


def format_violations(violations: Collection[RuleViolation]) -> str:
    """One line per violation, for an exception message or a diagnostic detail."""
    return "\n".join(f"- {v}" for v in violations)


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def check_text(value: object, field: str, *, required: bool = False) -> list[RuleViolation]:
    """A name or description: a string without control characters (non-blank if ``required``)."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string", value)]
    if required and not value.strip():
        return [RuleViolation(field, "must be a non-empty string", value)]
    if has_control_characters(value):
        return [RuleViolation(field, "must not contain control characters (such as a line break or tab)", value)]
    return []


def check_secret(value: object, field: str) -> list[RuleViolation]:
    """A credential: non-empty, no control characters. The value itself is never quoted."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string")]
    if value == "":
        return [RuleViolation(field, "must not be empty")]
    if has_control_characters(value):
        return [RuleViolation(field, "must not contain control characters (a stray newline from a file?)")]
    return []


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_alnum_lower(char: str) -> bool:
    return char in "abcdefghijklmnopqrstuvwxyz0123456789"


def check_bucket_name(value: object, field: str = "bucket_name") -> list[RuleViolation]:
    """S3 bucket name as the spec states it: 3-63 of ``[a-z0-9-]``, alphanumeric ends, no IP."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string", value)]
    out: list[RuleViolation] = []
    if not s3.BUCKET_NAME_MIN <= len(value) <= s3.BUCKET_NAME_MAX:
        out.append(RuleViolation(
            field, f"must be {s3.BUCKET_NAME_MIN} to {s3.BUCKET_NAME_MAX} characters long (it has {len(value)})",
            value))
    if not _BUCKET_CHARS.fullmatch(value):
        out.append(RuleViolation(field, "may contain only lowercase letters, digits and hyphens (-)", value))
    if value and not (_is_alnum_lower(value[0]) and _is_alnum_lower(value[-1])):
        out.append(RuleViolation(field, "must start and end with a lowercase letter or a digit", value))
    if _is_ip_address(value):
        out.append(RuleViolation(field, "must not be formatted as an IP address", value))
    return out


def check_folder_path(value: object, field: str = "folder_path") -> list[RuleViolation]:
    """Folder inside the bucket: ``/``-separated components, each a valid, non-reserved name."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string", value)]
    if value == "":
        return [RuleViolation(field, "must not be empty (leave it unset for the whole bucket)", value)]
    out: list[RuleViolation] = []
    if has_control_characters(value):
        out.append(RuleViolation(field, "must not contain control characters (such as a line break or tab)",
                                 value))
    if value.endswith("/"):
        out.append(RuleViolation(field, "must not end with '/'", value))
    body = value.removeprefix("/").removesuffix("/")
    if body == "":
        return out  # "/" or "//": the trailing-slash rule already says it
    for index, component in enumerate(body.split("/"), start=1):
        out.extend(_check_folder_component(component, index, field, value))
    return out


def _check_folder_component(component: str, index: int, field: str, path: str) -> list[RuleViolation]:
    where = f"path component {index}"
    if component == "":
        return [RuleViolation(field, f"{where} is empty (no '//' inside the path)", path)]
    out: list[RuleViolation] = []
    if len(component) > s3.FOLDER_COMPONENT_MAX:
        out.append(RuleViolation(
            field, f"{where} must be at most {s3.FOLDER_COMPONENT_MAX} characters long (it has {len(component)})",
            path))
    bad = sorted({c for c in component if c in s3.FOLDER_FORBIDDEN_CHARACTERS})
    if bad:
        out.append(RuleViolation(
            field, f"{where} contains forbidden characters {' '.join(bad)} "
                   f"(none of {' '.join(s3.FOLDER_FORBIDDEN_CHARACTERS)} may appear in a component)", path))
    if component.upper() in s3.RESERVED_FOLDER_NAMES:
        out.append(RuleViolation(
            field, f"{where} {component!r} is a reserved name "
                   "(CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9, '.', '..' in any case)", path))
    return out


def is_region(value: object) -> bool:
    """True for a string shaped like an AWS region name (``us-east-1``)."""
    return isinstance(value, str) and _REGION.fullmatch(value) is not None


def check_region(value: object, field: str = "region") -> list[RuleViolation]:
    """An AWS region name such as ``us-east-1`` (shape only: whether it exists is AWS's business)."""
    if is_region(value):
        return []
    return [RuleViolation(
        field, "must be an AWS region name such as us-east-1 (lowercase words joined by '-', ending in a number)",
        value)]


def service_url_for_region(region: str) -> str:
    """The spec's regional endpoint; ``ValueError`` naming the rule for a malformed region."""
    violations = check_region(region)
    if violations:
        raise ValueError(str(violations[0]))
    return s3.SERVICE_URL_FORMAT.format(region=region)


def check_service_url(value: object, field: str = "service_url") -> list[RuleViolation]:
    """Exactly the spec's endpoint format; the message says which part is off."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string", value)]
    if _SERVICE_URL.fullmatch(value):
        return []
    if has_control_characters(value) or any(c.isspace() for c in value):
        return [RuleViolation(field, f"{_SERVICE_URL_HINT}; it must not contain spaces or control characters",
                              value)]
    if "@" in value.split("//", 1)[-1].split("/", 1)[0]:
        return [RuleViolation(field, f"{_SERVICE_URL_HINT}; it must not contain user info (credentials)", value)]
    if not value.lower().startswith("https://"):
        return [RuleViolation(field, f"{_SERVICE_URL_HINT}; the scheme must be https", value)]
    return [RuleViolation(field, _SERVICE_URL_HINT, value)]


def check_auth(
    auth_spec_name: str | None,
    present: Collection[str],
    fields: Mapping[str, str] | None = None,
    auth_field: str = "auth_spec_name",
) -> list[RuleViolation]:
    """Parameters an auth spec requires and refuses.

    ``present`` holds the API names (``s3AccessKey``...) of the parameters that are set; a value
    not known yet counts as set. ``fields`` renames parameters for the messages; by default the
    API names are used. ``None`` means the default spec, ``Access Key``.
    """
    names = fields or {}

    def name(param: str) -> str:
        return names.get(param, param)

    spec = s3.DEFAULT_AUTH_SPEC_NAME if auth_spec_name is None else auth_spec_name
    given = set(present)
    out: list[RuleViolation] = []
    if spec == s3.ACCESS_KEY:
        for param in (s3.PARAM_ACCESS_KEY, s3.PARAM_SECRET_KEY):
            if param not in given:
                out.append(RuleViolation(name(param), f"is required by auth spec {s3.ACCESS_KEY!r}"))
    elif spec == s3.IAM_ROLE_BASED:
        if s3.PARAM_BUCKET_NAME not in given:
            out.append(RuleViolation(name(s3.PARAM_BUCKET_NAME), f"is required by auth spec {s3.IAM_ROLE_BASED!r}"))
        for param in (s3.PARAM_ACCESS_KEY, s3.PARAM_SECRET_KEY, s3.PARAM_SESSION_TOKEN):
            if param in given:
                out.append(RuleViolation(
                    name(param), f"must not be set with auth spec {s3.IAM_ROLE_BASED!r} "
                                 "(Adobe assumes an IAM role instead of using keys)"))
    else:
        choices = " or ".join(repr(s) for s in s3.AUTH_SPEC_NAMES)
        out.append(RuleViolation(auth_field, f"must be {choices}"))
    return out
