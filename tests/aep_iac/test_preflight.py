"""make deploy's preflight: every missing setting named at once, from the synthesized stacks alone."""

from __future__ import annotations

from typing import Any

from aep_iac.preflight import missing_settings


def stack_doc(**connections: dict[str, Any]) -> dict[str, Any]:
    return {"provider": {"aep": [{"sandbox_name": "dev"}]},
            "resource": {"aep_s3_base_connection": connections}}


def variables(prefix: str, *, token: bool) -> dict[str, Any]:
    """A connection's credentials as main.py's constructs declare them."""
    names = ("access_key", "secret_key", *(("session_token",) if token else ()))
    declared: dict[str, Any] = {}
    for name in names:
        declared[f"{name}_wo"] = f"${{var.{prefix}_{name}}}"
        declared[f"{name}_wo_version"] = "1"
    return declared


SETTINGS = {"AEP_CLIENT_ID": "c", "AEP_CLIENT_SECRET": "s", "AEP_ORG_ID": "o"}


def test_every_missing_credential_is_named_at_once_the_session_token_too() -> None:
    doc = stack_doc(tutorial=variables("s3", token=True), crm=variables("s3_crm", token=False))
    problems = missing_settings("s3-dev", doc, SETTINGS)
    named = sorted(line.split(" ")[1] for line in problems)
    assert named == ["TF_VAR_s3_access_key", "TF_VAR_s3_crm_access_key", "TF_VAR_s3_crm_secret_key",
                     "TF_VAR_s3_secret_key", "TF_VAR_s3_session_token"]
    assert "s3-dev: TF_VAR_s3_session_token is not set (used by tutorial.session_token_wo)" in problems[-1]


def test_a_token_without_a_version_is_not_sent_so_not_required() -> None:
    declared = variables("s3", token=True)
    del declared["session_token_wo_version"]
    environ = SETTINGS | {"TF_VAR_s3_access_key": "k", "TF_VAR_s3_secret_key": "s"}
    assert missing_settings("s3-dev", stack_doc(tutorial=declared), environ) == []
    assert missing_settings("s3-dev", stack_doc(tutorial=variables("s3", token=True)), environ) == [
        "s3-dev: TF_VAR_s3_session_token is not set (used by tutorial.session_token_wo); "
        "export TF_VAR_s3_session_token=... (in CI, from a secret)"]


def test_provider_settings_and_keys_together() -> None:
    problems = missing_settings("s3-dev", stack_doc(tutorial=variables("s3", token=True)), {})
    assert [p.split(" ")[1] for p in problems] == ["AEP_CLIENT_ID", "AEP_CLIENT_SECRET", "AEP_ORG_ID",
                                                   "TF_VAR_s3_access_key", "TF_VAR_s3_secret_key",
                                                   "TF_VAR_s3_session_token"]
