"""Rules of Adobe's Amazon S3 connection spec (``ecadc60c-7455-4d87-84dc-2a0e293d997b``).

One place for the facts of the spec, so the CDKTF construct (at synth time) and the Terraform
provider (at plan time) reject the same inputs with the same words. Pure functions, stdlib only:
each ``check_*`` returns a list of :class:`RuleViolation` (empty when the value is fine) and never
raises; callers decide whether a violation is an exception or a diagnostic.

Every check takes a ``field`` argument: the name the caller's user knows (``bucket_name`` for an
app author, ``bucket_name`` or ``access_key_wo`` for a Terraform user), used in the messages.

Decisions where the spec is silent or too narrow (documented here because they are rules too):

* ``folder_path`` may start with one ``/`` (a path from the bucket root); it is not a component.
  An empty path, a path of only ``/``, a trailing ``/`` and empty components (``a//b``) are
  rejected. Component length is counted in characters.
* ``service_url``: the spec's format is ``https://s3.{REGION}.amazonaws.com``. Custom endpoints
  (S3-compatible stores, the local emulator on ``http://127.0.0.1:PORT``) are accepted too: any
  ``http`` or ``https`` URL with a host, an optional port, and no user info (credentials in a URL
  would end up in state), query, fragment or path other than ``/``.
* ``region``: the shape of an AWS region name (``us-east-1``, ``us-gov-west-1``,
  ``eusc-de-east-1``); whether the region exists is AWS's business.
* ``IAMRole Based``: ``bucketName`` is required and the key parameters are refused; other
  non-secret parameters (``folderPath``, ``serviceUrl``) are left to the API.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "ACCESS_KEY",
    "AUTH_SPEC_NAMES",
    "BUCKET_NAME_MAX",
    "BUCKET_NAME_MIN",
    "CONNECTION_SPEC_ID",
    "DEFAULT_AUTH_SPEC_NAME",
    "FOLDER_COMPONENT_MAX",
    "FOLDER_FORBIDDEN_CHARACTERS",
    "IAM_ROLE_BASED",
    "PARAM_ACCESS_KEY",
    "PARAM_BUCKET_NAME",
    "PARAM_FOLDER_PATH",
    "PARAM_SECRET_KEY",
    "PARAM_SERVICE_URL",
    "PARAM_SESSION_TOKEN",
    "RESERVED_FOLDER_NAMES",
    "SECRET_PARAMS",
    "SERVICE_URL_FORMAT",
    "TERRAFORM_ATTRIBUTES",
    "RuleViolation",
    "check_auth",
    "check_bucket_name",
    "check_folder_path",
    "check_region",
    "check_service_url",
    "format_violations",
    "is_region",
    "service_url_for_region",
]

CONNECTION_SPEC_ID = "ecadc60c-7455-4d87-84dc-2a0e293d997b"

# Auth spec names, exactly as the connection spec spells them.
ACCESS_KEY = "Access Key"
IAM_ROLE_BASED = "IAMRole Based"
AUTH_SPEC_NAMES: tuple[str, ...] = (ACCESS_KEY, IAM_ROLE_BASED)
DEFAULT_AUTH_SPEC_NAME = ACCESS_KEY

# Parameter names under ``auth.params`` in the Flow Service API.
PARAM_ACCESS_KEY = "s3AccessKey"
PARAM_SECRET_KEY = "s3SecretKey"  # noqa: S105 - a parameter name, not a secret
PARAM_SESSION_TOKEN = "s3SessionToken"  # noqa: S105 - a parameter name, not a secret
PARAM_SERVICE_URL = "serviceUrl"
PARAM_BUCKET_NAME = "bucketName"
PARAM_FOLDER_PATH = "folderPath"

# Parameters whose values are secrets (never echoed, never stored in state). The spec marks
# s3SecretKey and s3SessionToken secret; an access key id is treated as one as well.
SECRET_PARAMS: frozenset[str] = frozenset({PARAM_ACCESS_KEY, PARAM_SECRET_KEY, PARAM_SESSION_TOKEN})

# API parameter -> attribute of the Terraform resource ``flowservice_s3_base_connection``.
TERRAFORM_ATTRIBUTES: Mapping[str, str] = {
    PARAM_ACCESS_KEY: "access_key_wo",
    PARAM_SECRET_KEY: "secret_key_wo",
    PARAM_SESSION_TOKEN: "session_token_wo",
    PARAM_SERVICE_URL: "service_url",
    PARAM_BUCKET_NAME: "bucket_name",
    PARAM_FOLDER_PATH: "folder_path",
}

BUCKET_NAME_MIN = 3
BUCKET_NAME_MAX = 63
FOLDER_COMPONENT_MAX = 255
FOLDER_FORBIDDEN_CHARACTERS = '"\\:|<>*?'
RESERVED_FOLDER_NAMES: frozenset[str] = frozenset(
    {"CON", "PRN", "AUX", "NUL", ".", ".."} | {f"COM{n}" for n in range(1, 10)} | {f"LPT{n}" for n in range(1, 10)}
)

_BUCKET_CHARS = re.compile(r"[a-z0-9-]*")
_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")
# The spec's regional endpoint; also filled with an unresolved region token by the construct.
SERVICE_URL_FORMAT = "https://s3.{region}.amazonaws.com"


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule: ``field`` is the name the user wrote, ``rule`` says what is wrong."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


def format_violations(violations: Collection[RuleViolation]) -> str:
    """One line per violation, for an exception message or a diagnostic detail."""
    return "\n".join(f"- {v}" for v in violations)


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def check_bucket_name(value: str, field: str = "bucket_name") -> list[RuleViolation]:
    """S3 bucket name as the spec states it: 3-63 of ``[a-z0-9-]``, alphanumeric ends, no IP."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string")]
    out: list[RuleViolation] = []
    if not BUCKET_NAME_MIN <= len(value) <= BUCKET_NAME_MAX:
        out.append(
            RuleViolation(
                field,
                f"must be {BUCKET_NAME_MIN} to {BUCKET_NAME_MAX} characters long (it has {len(value)})",
            )
        )
    if not _BUCKET_CHARS.fullmatch(value):
        out.append(RuleViolation(field, "may contain only lowercase letters, digits and hyphens (-)"))
    if value and not (_is_alnum_lower(value[0]) and _is_alnum_lower(value[-1])):
        out.append(RuleViolation(field, "must start and end with a lowercase letter or a digit"))
    if _is_ip_address(value):
        out.append(RuleViolation(field, "must not be formatted as an IP address"))
    return out


def _is_alnum_lower(char: str) -> bool:
    return char in "abcdefghijklmnopqrstuvwxyz0123456789"


def check_folder_path(value: str, field: str = "folder_path") -> list[RuleViolation]:
    """Folder inside the bucket: ``/``-separated components, each a valid, non-reserved name."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string")]
    if value == "":
        return [RuleViolation(field, "must not be empty (leave it unset for the whole bucket)")]
    out: list[RuleViolation] = []
    if value.endswith("/"):
        out.append(RuleViolation(field, "must not end with '/'"))
    body = value.removeprefix("/")
    body = body.removesuffix("/")
    if body == "":
        return out  # "/" or "//": the trailing-slash rule already says it
    for index, component in enumerate(body.split("/"), start=1):
        out.extend(_check_folder_component(component, index, field))
    return out


def _check_folder_component(component: str, index: int, field: str) -> list[RuleViolation]:
    where = f"path component {index}"
    if component == "":
        return [RuleViolation(field, f"{where} is empty (no '//' inside the path)")]
    out: list[RuleViolation] = []
    if len(component) > FOLDER_COMPONENT_MAX:
        out.append(
            RuleViolation(
                field,
                f"{where} must be at most {FOLDER_COMPONENT_MAX} characters long (it has {len(component)})",
            )
        )
    bad = sorted({c for c in component if c in FOLDER_FORBIDDEN_CHARACTERS})
    if bad:
        shown = " ".join(bad)
        out.append(
            RuleViolation(
                field,
                f"{where} contains forbidden characters {shown} "
                f"(none of {' '.join(FOLDER_FORBIDDEN_CHARACTERS)} may appear in a component)",
            )
        )
    if component.upper() in RESERVED_FOLDER_NAMES:
        out.append(
            RuleViolation(
                field,
                f"{where} {component!r} is a reserved name "
                "(CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9, '.', '..' in any case)",
            )
        )
    return out


def is_region(value: object) -> bool:
    """True for a string shaped like an AWS region name (``us-east-1``)."""
    return isinstance(value, str) and _REGION.fullmatch(value) is not None


def check_region(value: str, field: str = "region") -> list[RuleViolation]:
    """An AWS region name such as ``us-east-1`` (shape only)."""
    if is_region(value):
        return []
    return [
        RuleViolation(
            field,
            "must be an AWS region name such as us-east-1 (lowercase words joined by '-', ending in a number)",
        )
    ]


def service_url_for_region(region: str) -> str:
    """The spec's regional endpoint, ``https://s3.{REGION}.amazonaws.com``.

    Raises ``ValueError`` (naming the rule) when ``region`` is not shaped like a region.
    """
    violations = check_region(region)
    if violations:
        raise ValueError(str(violations[0]))
    return SERVICE_URL_FORMAT.format(region=region)


def check_service_url(value: str, field: str = "service_url") -> list[RuleViolation]:
    """An S3 endpoint: ``https://s3.{REGION}.amazonaws.com`` or a custom http(s) endpoint."""
    if not isinstance(value, str):
        return [RuleViolation(field, "must be a string")]
    expected = "must be an http(s) URL of an S3 endpoint, such as https://s3.us-east-1.amazonaws.com"
    if value != value.strip() or any(c.isspace() for c in value):
        return [RuleViolation(field, f"{expected}; it must not contain spaces")]
    try:
        parts = urlsplit(value)
        _port = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        return [RuleViolation(field, f"{expected}; it is not a well-formed URL")]
    if parts.scheme.lower() not in ("http", "https"):
        return [RuleViolation(field, f"{expected}; the scheme must be https (or http)")]
    if not parts.hostname:
        return [RuleViolation(field, f"{expected}; the host is missing")]
    out: list[RuleViolation] = []
    if parts.username is not None or parts.password is not None:
        out.append(RuleViolation(field, "must not contain user info (credentials) before the host"))
    if parts.path not in ("", "/"):
        out.append(RuleViolation(field, "must not contain a path; give only the endpoint's origin"))
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        out.append(RuleViolation(field, "must not contain a query or a fragment"))
    return out


def check_auth(
    auth_spec_name: str | None,
    present: Collection[str],
    fields: Mapping[str, str] | None = None,
    auth_field: str = "auth_spec_name",
) -> list[RuleViolation]:
    """Parameters an auth spec requires and refuses.

    ``present`` holds the API names (``s3AccessKey``...) of the parameters that are set; a value
    not known yet counts as set. ``fields`` renames parameters for the messages (for example
    :data:`TERRAFORM_ATTRIBUTES`); by default the API names are used. ``None`` means the
    default spec, ``Access Key``.

    * ``Access Key``: ``s3AccessKey`` and ``s3SecretKey`` required, ``s3SessionToken`` optional.
    * ``IAMRole Based``: ``bucketName`` required; no access key, secret key or session token
      (the role Adobe assumes replaces them).
    """
    names = fields or {}

    def name(param: str) -> str:
        return names.get(param, param)

    spec = DEFAULT_AUTH_SPEC_NAME if auth_spec_name is None else auth_spec_name
    given = set(present)
    out: list[RuleViolation] = []
    if spec == ACCESS_KEY:
        for param in (PARAM_ACCESS_KEY, PARAM_SECRET_KEY):
            if param not in given:
                out.append(RuleViolation(name(param), f"is required by auth spec {ACCESS_KEY!r}"))
    elif spec == IAM_ROLE_BASED:
        if PARAM_BUCKET_NAME not in given:
            out.append(
                RuleViolation(
                    name(PARAM_BUCKET_NAME),
                    f"is required by auth spec {IAM_ROLE_BASED!r}",
                )
            )
        for param in (PARAM_ACCESS_KEY, PARAM_SECRET_KEY, PARAM_SESSION_TOKEN):
            if param in given:
                out.append(
                    RuleViolation(
                        name(param),
                        f"must not be set with auth spec {IAM_ROLE_BASED!r} "
                        "(Adobe assumes an IAM role instead of using keys)",
                    )
                )
    else:
        choices = " or ".join(repr(s) for s in AUTH_SPEC_NAMES)
        out.append(RuleViolation(auth_field, f"must be {choices}"))
    return out
