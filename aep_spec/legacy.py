"""What release 0.1.0 called the provider and its types: read only by the migration and its guard.

0.1.0 named everything for Flow Service (``terraform.local/aep/flowservice``,
``flowservice_s3_base_connection``...). 0.2.0 names them for the platform, because the provider
now spans several AEP services. A state written by 0.1.0 records the old provider and types;
:mod:`aep_iac.migrate` renames them in place (no call to AEP), and the mirror serves the old
address as a guard (:mod:`aep_provider.legacy`) that fails at plan, naming that step, instead
of letting Terraform plan to destroy and re-create every object.
"""

from __future__ import annotations

from typing import Final

from aep_spec import identity

VERSION: Final = "0.1.0"
TYPE: Final = "flowservice"
SOURCE: Final = f"{identity.HOSTNAME}/{identity.NAMESPACE}/{TYPE}"
#: The version the mirror serves the guard at: after 0.1.0, so a lock file that pinned the real
#: 0.1.0 package is never checked against the guard's (another package, another hash).
GUARD_VERSION: Final = "0.1.1"

#: Every 0.1.0 resource and data source type, and its name since 0.2.0.
RENAMED_TYPES: Final = {
    "flowservice_s3_base_connection": identity.S3_BASE_CONNECTION,
    "flowservice_source_connection": identity.SOURCE_CONNECTION,
    "flowservice_target_connection": identity.TARGET_CONNECTION,
    "flowservice_dataflow": identity.DATAFLOW,
    "flowservice_explore": identity.EXPLORE,
    "flowservice_dataflow_runs": identity.DATAFLOW_RUNS,
}

#: The one step, for a CDKTF project of this layout and for a plain Terraform folder.
MIGRATE_PROJECT: Final = "make migrate"
MIGRATE_FOLDER: Final = "python -m aep_iac.migrate --dir <folder>"


#: How the guard's one diagnostic begins: the plan report shows it alone.
GUARD_SUMMARY: Final = f"State written by release {VERSION}: migrate it first"


def guard_message(what: str) -> tuple[str, str]:
    """The summary and detail of the guard's one diagnostic; ``what`` names the state's holder."""
    return (
        GUARD_SUMMARY,
        f"{what} records objects under the provider {SOURCE} and its types flowservice_*, "
        f"renamed in {identity.VERSION} to {identity.SOURCE} and {identity.TYPE}_*. Planning now would "
        "destroy and re-create every object, so nothing was planned. Run the migration once: "
        f"`{MIGRATE_PROJECT}` in a CDKTF project of this layout, or `{MIGRATE_FOLDER}` for a plain "
        "Terraform folder (rename the types in its .tf files too). It renames the entries of the state "
        "in place, keeps every id and etag, and makes no call to AEP; then plan again.",
    )
