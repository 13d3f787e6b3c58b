"""What CDKTF app authors import to declare AEP Amazon S3 base connections.

* ``S3Connection``, ``Sandbox``, ``SandboxOverride`` and ``define``: declare connections once and
  deploy them to several sandboxes, one stack each (``constructs_lib.fleet``);
* ``S3BaseConnection``: the construct for one connection; ``FlowserviceProvider`` configures the
  provider; ``S3BaseConnectionResource`` is the raw resource binding underneath;
* ``StateBackend``: local or S3 state with locking; ``synth.run``: synthesize with readable errors.
"""

from constructs_lib import synth
from constructs_lib.backend import StateBackend
from constructs_lib.bindings import (
    PROVIDER_NAME,
    PROVIDER_SOURCE,
    PROVIDER_VERSION,
    RESOURCE_TYPE,
    FlowserviceProvider,
    S3BaseConnectionResource,
)
from constructs_lib.errors import ConstructError, LiteralSecretError, PropViolation, S3ValidationError
from constructs_lib.fleet import (
    ProviderSettings,
    S3Connection,
    Sandbox,
    SandboxOverride,
    SandboxStack,
    define,
    deployments,
)
from constructs_lib.s3_base_connection import (
    AccessKeyAuth,
    IamRoleAuth,
    S3Auth,
    S3BaseConnection,
    check_props,
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
    "ProviderSettings",
    "S3Auth",
    "S3BaseConnection",
    "S3BaseConnectionResource",
    "S3Connection",
    "S3ValidationError",
    "Sandbox",
    "SandboxOverride",
    "SandboxStack",
    "StateBackend",
    "check_props",
    "define",
    "deployments",
    "ephemeral_secret_variable",
    "synth",
]
