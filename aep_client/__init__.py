"""Client for Adobe Experience Platform Flow Service: base, source and target connections, dataflows, runs.

Names are resolved lazily (PEP 562): the Terraform provider process starts several times per
command, and importing ``requests`` only when a request is actually made keeps start-up cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .client import ConnectionRef, FlowServiceClient, ObjectRef
    from .config import FlowServiceConfig
    from .errors import (
        AmbiguousCreateError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        Endpoint,
        EndpointError,
        FlowServiceError,
        ImsAuthenticationError,
        ImsError,
        NotFoundError,
        NotSentError,
        OperationTimeoutError,
        OutcomeUnknownError,
        PermissionDeniedError,
        PreconditionFailedError,
        RateLimitedError,
        ServerError,
        TransportError,
        UnknownPathError,
        UnreachableError,
    )
    from .ims import TokenProvider
    from .kinds import CONNECTIONS, FLOWS, SOURCE_CONNECTIONS, TARGET_CONNECTIONS, Kind
    from .session import CallStats, FlowServiceSession

_EXPORTS = {
    "FlowServiceConfig": "config",
    "ConnectionRef": "client",
    "FlowServiceClient": "client",
    "ObjectRef": "client",
    "Kind": "kinds",
    "CONNECTIONS": "kinds",
    "SOURCE_CONNECTIONS": "kinds",
    "TARGET_CONNECTIONS": "kinds",
    "FLOWS": "kinds",
    "TokenProvider": "ims",
    "CallStats": "session",
    "FlowServiceSession": "session",
    "AmbiguousCreateError": "errors",
    "AuthenticationError": "errors",
    "BadRequestError": "errors",
    "ConfigurationError": "errors",
    "Endpoint": "errors",
    "EndpointError": "errors",
    "FlowServiceError": "errors",
    "ImsAuthenticationError": "errors",
    "ImsError": "errors",
    "NotFoundError": "errors",
    "OperationTimeoutError": "errors",
    "OutcomeUnknownError": "errors",
    "PermissionDeniedError": "errors",
    "PreconditionFailedError": "errors",
    "RateLimitedError": "errors",
    "ServerError": "errors",
    "NotSentError": "errors",
    "TransportError": "errors",
    "UnknownPathError": "errors",
    "UnreachableError": "errors",
}

__all__ = [
    "CONNECTIONS",
    "FLOWS",
    "SOURCE_CONNECTIONS",
    "TARGET_CONNECTIONS",
    "AmbiguousCreateError",
    "AuthenticationError",
    "BadRequestError",
    "CallStats",
    "ConfigurationError",
    "ConnectionRef",
    "Endpoint",
    "EndpointError",
    "FlowServiceClient",
    "FlowServiceConfig",
    "FlowServiceError",
    "FlowServiceSession",
    "ImsAuthenticationError",
    "ImsError",
    "Kind",
    "NotFoundError",
    "NotSentError",
    "ObjectRef",
    "OperationTimeoutError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitedError",
    "ServerError",
    "TokenProvider",
    "TransportError",
    "UnknownPathError",
    "UnreachableError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
