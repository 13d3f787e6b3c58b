"""What CDKTF app authors import to declare AEP Amazon S3 base connections.

``S3BaseConnection`` is the construct to use; ``FlowserviceProvider`` configures the provider;
``S3BaseConnectionResource`` is the raw resource binding underneath.
"""

from constructs_lib.bindings import (
    PROVIDER_NAME,
    PROVIDER_SOURCE,
    PROVIDER_VERSION,
    RESOURCE_TYPE,
    FlowserviceProvider,
    S3BaseConnectionResource,
)
from constructs_lib.errors import ConstructError, LiteralSecretError, PropViolation, S3ValidationError
from constructs_lib.s3_base_connection import (
    AccessKeyAuth,
    IamRoleAuth,
    S3Auth,
    S3BaseConnection,
    ephemeral_secret_variable,
)

__all__ = [
    "PROVIDER_NAME",
    "PROVIDER_SOURCE",
    "PROVIDER_VERSION",
    "RESOURCE_TYPE",
    "AccessKeyAuth",
    "ConstructError",
    "FlowserviceProvider",
    "IamRoleAuth",
    "LiteralSecretError",
    "PropViolation",
    "S3Auth",
    "S3BaseConnection",
    "S3BaseConnectionResource",
    "S3ValidationError",
    "ephemeral_secret_variable",
]
