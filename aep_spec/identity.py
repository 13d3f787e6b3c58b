"""Who the provider is: where Terraform finds it, its version, and the resource types it serves."""

from __future__ import annotations

from typing import Final

#: The provider's version; the Python distribution, the mirror layout, the CDKTF bindings'
#: ``required_providers`` constraint and the client's User-Agent all take it from here.
VERSION: Final = "0.2.0"

HOSTNAME: Final = "terraform.local"
NAMESPACE: Final = "aep"
TYPE: Final = "aep"
#: ``required_providers.aep.source``
SOURCE: Final = f"{HOSTNAME}/{NAMESPACE}/{TYPE}"

#: The resource types the provider serves, in the order of Adobe's tutorials.
S3_BASE_CONNECTION: Final = "aep_s3_base_connection"
SOURCE_CONNECTION: Final = "aep_source_connection"
TARGET_CONNECTION: Final = "aep_target_connection"
DATAFLOW: Final = "aep_dataflow"
#: The target of a dataflow, in the other services: the XDM schema (Schema Registry), the dataset
#: (Catalog) and the mapping set (Data Prep).
XDM_SCHEMA: Final = "aep_xdm_schema"
DATASET: Final = "aep_dataset"
MAPPING_SET: Final = "aep_mapping_set"
RESOURCE_TYPES: Final = (S3_BASE_CONNECTION, SOURCE_CONNECTION, XDM_SCHEMA, DATASET, TARGET_CONNECTION, MAPPING_SET,
                         DATAFLOW)
#: What a reviewer calls an object of each resource type, in the tutorial's order.
KIND_NOUNS: Final = {S3_BASE_CONNECTION: "base connection", SOURCE_CONNECTION: "source connection",
                     XDM_SCHEMA: "XDM schema", DATASET: "dataset", TARGET_CONNECTION: "target connection",
                     MAPPING_SET: "mapping set", DATAFLOW: "dataflow"}
#: Its data sources: a connection's files and folders (explore), a dataflow's recent runs.
EXPLORE: Final = "aep_explore"
DATAFLOW_RUNS: Final = "aep_dataflow_runs"

#: How the provider's diagnostic for a create without its credentials begins; `make plan` looks
#: for it to name the variables that would carry them (the provider knows only the attributes).
CREDENTIALS_MISSING: Final = "Credentials missing"
#: How the provider's diagnostic for an endpoint that no connection reaches begins (``Cannot reach
#: Flow Service: AEP_FLOW_SERVICE_URL=<url>``); `make plan` says how to start `make demo`'s local AEP
#: when the URL is its own.
UNREACHABLE: Final = "Cannot reach"

#: The output every stack records its sandbox in: a stack the app stops declaring can still be
#: destroyed in the right sandbox (aep_iac.states).
SANDBOX_OUTPUT: Final = "aep_sandbox"
#: The output every stack records its dataflows' expectations in (verify and status read it).
EXPECTATIONS_OUTPUT: Final = "aep_expectations"
