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
    "schema_registry_url": "AEP_SCHEMA_REGISTRY_URL",
    "catalog_url": "AEP_CATALOG_URL",
    "data_prep_url": "AEP_DATA_PREP_URL",
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


#: Each other service's URL setting and the last segment of its path on the platform's host.
SERVICE_SEGMENTS: Mapping[str, str] = {"schema_registry_url": "schemaregistry", "catalog_url": "catalog",
                                       "data_prep_url": "conversion"}


def beside_flow_service(flow_service_url: str, segment: str) -> str:
    """A service's URL on Flow Service's host and prefix: ``.../data/foundation/flowservice`` gives
    ``.../data/foundation/<segment>`` (Adobe's layout, and the local AEP's)."""
    base = flow_service_url.rstrip("/")
    parent = base.rsplit("/", 1)[0] if base.count("/") > 2 else base
    return f"{parent}/{segment}"


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
    #: The other services of the platform; by default beside Flow Service (same host and prefix).
    schema_registry_url: str = ""
    catalog_url: str = ""
    data_prep_url: str = ""
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
        for name, segment in SERVICE_SEGMENTS.items():
            given = getattr(self, name)
            set_(self, name, _check_url(name, given) if given else beside_flow_service(self.flow_service_url, segment))
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

    def _service_endpoint(self, attribute: str, service: str, prefix: str) -> Endpoint:
        usual = beside_flow_service(DEFAULT_FLOW_SERVICE_URL, SERVICE_SEGMENTS[attribute])
        return Endpoint(service, ENV_VARS[attribute], getattr(self, attribute), usual, prefix)

    @property
    def schema_registry_endpoint(self) -> Endpoint:
        return self._service_endpoint("schema_registry_url", "Schema Registry", "XDM")

    @property
    def catalog_endpoint(self) -> Endpoint:
        return self._service_endpoint("catalog_url", "Catalog", "CAT")

    @property
    def data_prep_endpoint(self) -> Endpoint:
        return self._service_endpoint("data_prep_url", "Data Prep", "MAPPER")

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
