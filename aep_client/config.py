"""Client configuration: the provider's attributes, their environment fallbacks and defaults."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from aep_spec import platform

from .errors import ConfigurationError, Endpoint

__all__ = ["DEFAULT_FLOW_SERVICE_URL", "DEFAULT_IMS_URL", "DEFAULT_SCOPES", "ENV_VARS", "REQUIRED_SETTINGS",
           "FlowServiceConfig"]

DEFAULT_FLOW_SERVICE_URL = "https://platform.adobe.io/data/foundation/flowservice"
DEFAULT_IMS_URL = "https://ims-na1.adobelogin.com"
DEFAULT_SCOPES: tuple[str, ...] = (
    "openid",
    "AdobeID",
    "read_organizations",
    "additional_info.projectedProductContext",
    "session",
)

#: attribute -> environment variable consulted when the attribute is not set (design.md).
ENV_VARS: Mapping[str, str] = {
    "flow_service_url": "AEP_FLOW_SERVICE_URL",
    "ims_url": "AEP_IMS_URL",
    "client_id": "AEP_CLIENT_ID",
    "client_secret": "AEP_CLIENT_SECRET",
    "org_id": "AEP_ORG_ID",
    "sandbox_name": "AEP_SANDBOX_NAME",
    "scopes": "AEP_SCOPES",
    "request_timeout": "AEP_REQUEST_TIMEOUT",
    "operation_timeout": "AEP_OPERATION_TIMEOUT",
    "max_retries": "AEP_MAX_RETRIES",
}

#: Settings without a default: the provider block or the environment must give them.
REQUIRED_SETTINGS: tuple[str, ...] = ("client_id", "client_secret", "org_id")


def _split_scopes(value: str | Sequence[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    scopes: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigurationError(message="scopes must be strings", attributes=("scopes",))
        item = item.strip()
        if item and item not in scopes:
            scopes.append(item)
    return tuple(scopes)


def _check_url(name: str, value: str) -> str:
    value = value.strip().rstrip("/")
    if not (value.startswith("https://") or value.startswith("http://")) or len(value) <= len("https://"):
        raise ConfigurationError(message=f"{name} must be an http(s) URL", attributes=(name,))
    return value


def _number(name: str, value: Any, *, integer: bool = False, minimum: float = 0.0, strict: bool = True) -> Any:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
        if integer:
            if not number.is_integer():
                raise ValueError
            number = int(number)
    except (TypeError, ValueError):
        kind = "an integer" if integer else "a number"
        raise ConfigurationError(message=f"{name} must be {kind}", attributes=(name,)) from None
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        bound = ">" if strict else ">="
        raise ConfigurationError(message=f"{name} must be {bound} {minimum:g}", attributes=(name,))
    return number


@dataclass(frozen=True, kw_only=True)
class FlowServiceConfig:
    """Everything the client needs to reach one org/sandbox of Flow Service.

    Frozen so one instance can be shared by the threads of a provider process; the secret is
    excluded from ``repr`` so logging a config (or a traceback showing it) leaks nothing.
    """

    flow_service_url: str = DEFAULT_FLOW_SERVICE_URL
    ims_url: str = DEFAULT_IMS_URL
    client_id: str
    client_secret: str = field(repr=False)
    org_id: str
    sandbox_name: str = "prod"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    request_timeout: float = 30.0
    operation_timeout: float = 300.0
    max_retries: int = 5

    def __post_init__(self) -> None:
        for name in REQUIRED_SETTINGS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(message=f"{name} is required (or set {ENV_VARS[name]})", attributes=(name,))
        for violation in (*platform.check_client_id(self.client_id), *platform.check_org_id(self.org_id),
                          *platform.check_sandbox_name(self.sandbox_name)):
            env = ENV_VARS[violation.field]
            raise ConfigurationError(message=f"{violation} (attribute {violation.field} or {env})",
                                     attributes=(violation.field,))
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "flow_service_url", _check_url("flow_service_url", self.flow_service_url))
        set_(self, "ims_url", _check_url("ims_url", self.ims_url))
        set_(self, "scopes", _split_scopes(self.scopes))
        if not self.scopes:
            raise ConfigurationError(message="scopes must not be empty", attributes=("scopes",))
        set_(self, "request_timeout", _number("request_timeout", self.request_timeout))
        set_(self, "operation_timeout", _number("operation_timeout", self.operation_timeout))
        set_(self, "max_retries", _number("max_retries", self.max_retries, integer=True, strict=False))

    @property
    def flow_service_endpoint(self) -> Endpoint:
        """Flow Service's URL and the setting it comes from, for errors that are the URL's."""
        return Endpoint("Flow Service", ENV_VARS["flow_service_url"], self.flow_service_url, DEFAULT_FLOW_SERVICE_URL)

    @property
    def ims_endpoint(self) -> Endpoint:
        """IMS's URL and the setting it comes from, for errors that are the URL's."""
        return Endpoint("Adobe IMS", ENV_VARS["ims_url"], self.ims_url, DEFAULT_IMS_URL)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown.append(f"{f.name}={'***' if f.name == 'client_secret' else repr(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"

    __str__ = __repr__

    @classmethod
    def from_env(
        cls,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> FlowServiceConfig:
        """Resolve each attribute: explicit value, else its ``AEP_*`` variable, else the default.

        ``None`` and empty strings count as "not set", matching how Terraform hands over unset
        optional attributes. Unknown override keys are an error so typos do not go unnoticed.
        """
        overrides = dict(overrides or {})
        env = os.environ if environ is None else environ
        unknown = sorted(set(overrides) - set(ENV_VARS))
        if unknown:
            raise ConfigurationError(
                message="unknown configuration attribute(s): " + ", ".join(unknown), attributes=unknown
            )
        values: dict[str, Any] = {}
        for name, var in ENV_VARS.items():
            value = overrides.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                value = env.get(var)
                if value is not None and not value.strip():
                    value = None
            if value is not None:
                values[name] = value
        missing = [name for name in REQUIRED_SETTINGS if name not in values]
        if missing:
            described = ", ".join(f"{name} ({ENV_VARS[name]})" for name in missing)
            raise ConfigurationError(message=f"missing required configuration: {described}", attributes=missing)
        return cls(**values)
