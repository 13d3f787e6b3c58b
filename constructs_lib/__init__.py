"""What CDKTF app authors import to declare AEP Amazon S3 ingestion: base connections and the
dataflows that read them.

* ``S3Connection``, ``Dataflow``, ``Sandbox``, the ``*Override``s and ``define``: declare
  connections and dataflows once and deploy them to several sandboxes, one stack each
  (``constructs_lib.fleet``); ``Delimited``/``Json``/``Parquet``, ``Schedule`` and ``MappingSet``
  type a dataflow's props;
* ``XdmSchema``, ``Dataset``, ``Mappings`` (with ``Map`` lines): where a dataflow's records go,
  declared once for every sandbox (``constructs_lib.targets``);
* ``S3Dataflow``: the construct for one dataflow (source connection, target connection, flow);
* ``S3BaseConnection``: the construct for one connection; ``AepProvider`` configures the
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
    AepProvider,
    DataflowResource,
    DataflowRunsDataSource,
    DatasetResource,
    ExploreDataSource,
    MappingSetResource,
    NamedDataSource,
    S3BaseConnectionResource,
    SourceConnectionResource,
    TargetConnectionResource,
    XdmSchemaResource,
)
from constructs_lib.dataflow import Delimited, Expect, FileFormat, Json, MappingSet, Parquet, S3Dataflow, Schedule
from constructs_lib.errors import ConstructError, LiteralSecretError, PropViolation, S3ValidationError
from constructs_lib.fleet import (
    Dataflow,
    DataflowOverride,
    ProviderSettings,
    S3Connection,
    Sandbox,
    SandboxOverride,
    SandboxStack,
    define,
    deployments,
)
from constructs_lib.placement import Placement
from constructs_lib.s3_base_connection import (
    AccessKeyAuth,
    IamRoleAuth,
    S3Auth,
    S3BaseConnection,
    check_props,
    ephemeral_secret_variable,
)
from constructs_lib.targets import Dataset, Map, Mappings, XdmSchema

__all__ = [
    "PROVIDER_NAME",
    "PROVIDER_SOURCE",
    "PROVIDER_VERSION",
    "RESOURCE_TYPE",
    "AccessKeyAuth",
    "AepProvider",
    "ConstructError",
    "Dataflow",
    "DataflowOverride",
    "DataflowResource",
    "DataflowRunsDataSource",
    "Dataset",
    "DatasetResource",
    "Delimited",
    "Expect",
    "ExploreDataSource",
    "FileFormat",
    "IamRoleAuth",
    "Json",
    "LiteralSecretError",
    "Map",
    "MappingSet",
    "MappingSetResource",
    "Mappings",
    "NamedDataSource",
    "Parquet",
    "Placement",
    "PropViolation",
    "ProviderSettings",
    "S3Auth",
    "S3BaseConnection",
    "S3BaseConnectionResource",
    "S3Connection",
    "S3Dataflow",
    "S3ValidationError",
    "Sandbox",
    "SandboxOverride",
    "SandboxStack",
    "Schedule",
    "SourceConnectionResource",
    "StateBackend",
    "TargetConnectionResource",
    "XdmSchema",
    "XdmSchemaResource",
    "check_props",
    "define",
    "deployments",
    "ephemeral_secret_variable",
    "synth",
]
