"""The S3BaseConnection construct: synthesized JSON, secrets, synth-time validation, import."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aep_spec.identity import VERSION
from constructs_lib import (
    AccessKeyAuth,
    AepProvider,
    ConstructError,
    IamRoleAuth,
    LiteralSecretError,
    S3BaseConnection,
    S3ValidationError,
)
from tests.constructs_lib.support import (
    TerraformStack,
    TerraformVariable,
    only_resource,
    secret_variable,
    synth,
)
from tests.constructs_lib.support import Testing as CdktfTesting

RESOURCE = "aep_s3_base_connection"


def connection(stack: TerraformStack, **props: object) -> S3BaseConnection:
    """A valid Access Key connection; ``props`` override the defaults."""
    values: dict[str, object] = {
        "name": "Amazon S3 base connection",
        "auth": AccessKeyAuth.from_variables(stack),
    }
    values.update(props)
    return S3BaseConnection(stack, "amazon_s3", **values)  # type: ignore[arg-type]


# --- synthesized JSON ---------------------------------------------------------------------


def test_provider_block_and_required_providers(stack: TerraformStack) -> None:
    AepProvider(stack, "aep", flow_service_url="http://127.0.0.1:8750/data/foundation/flowservice")
    connection(stack)
    _, config = synth(stack)
    assert config["terraform"]["required_providers"]["aep"] == {
        "source": "terraform.local/aep/aep",
        "version": VERSION,
    }
    assert config["provider"]["aep"] == [
        {"flow_service_url": "http://127.0.0.1:8750/data/foundation/flowservice"}
    ]


def test_write_only_attributes_are_bound_to_variables(stack: TerraformStack) -> None:
    connection(stack, description="with a session token", bucket_name="acme-data", folder_path="in/2024")
    text, config = synth(stack)
    assert CdktfTesting.to_have_resource_with_properties(
        text,
        RESOURCE,
        {
            "name": "Amazon S3 base connection",
            "description": "with a session token",
            "auth_spec_name": "Access Key",
            "bucket_name": "acme-data",
            "folder_path": "in/2024",
            "access_key_wo": "${var.s3_access_key}",
            "secret_key_wo": "${var.s3_secret_key}",
            "session_token_wo": "${var.s3_session_token}",
            "access_key_wo_version": "1",
            "secret_key_wo_version": "1",
            "session_token_wo_version": "1",
        },
    )
    logical_id, attributes = only_resource(config)
    assert logical_id == "amazon_s3"  # addressed as aep_s3_base_connection.amazon_s3
    assert "service_url" not in attributes  # unset: the global endpoint


def test_variables_are_sensitive_ephemeral_and_nullable(stack: TerraformStack) -> None:
    """Nullable so a destroy or a plan that sends nothing needs no secret; deploys check them up front."""
    connection(stack)
    _, config = synth(stack)
    variables = config["variable"]
    assert set(variables) == {"s3_access_key", "s3_secret_key", "s3_session_token"}
    for name, block in variables.items():
        assert block["sensitive"] is True, name
        assert block["ephemeral"] is True, name
        assert block["type"] == "string", name
        assert block["nullable"] is True and block["default"] is None, name


def test_from_variables_prefix_and_sharing(stack: TerraformStack) -> None:
    first = AccessKeyAuth.from_variables(stack, prefix="prod")
    again = AccessKeyAuth.from_variables(stack, prefix="prod")
    S3BaseConnection(stack, "one", name="one", auth=first)
    S3BaseConnection(stack, "two", name="two", auth=again)
    _, config = synth(stack)
    assert set(config["variable"]) == {"prod_access_key", "prod_secret_key", "prod_session_token"}
    for attributes in config["resource"][RESOURCE].values():
        assert attributes["secret_key_wo"] == "${var.prod_secret_key}"


def test_from_variables_rejects_a_prefix_unfit_for_tf_var(stack: TerraformStack) -> None:
    with pytest.raises(ValueError, match="variable name"):
        AccessKeyAuth.from_variables(stack, prefix="my-prefix.x")


def test_iam_role_auth_sends_no_keys(stack: TerraformStack) -> None:
    S3BaseConnection(stack, "iam", name="iam", auth=IamRoleAuth(), bucket_name="acme-data")
    _, config = synth(stack)
    _, attributes = only_resource(config)
    assert attributes == {"name": "iam", "auth_spec_name": "IAMRole Based", "bucket_name": "acme-data"}
    assert "variable" not in config


def test_region_becomes_the_spec_service_url(stack: TerraformStack) -> None:
    made = connection(stack, region="eu-west-1")
    _, config = synth(stack)
    assert only_resource(config)[1]["service_url"] == "https://s3.eu-west-1.amazonaws.com"
    assert made.service_url == "https://s3.eu-west-1.amazonaws.com"


def test_region_token_is_interpolated(stack: TerraformStack) -> None:
    region = TerraformVariable(stack, "region", type="string").string_value
    connection(stack, region=region)
    _, config = synth(stack)
    assert only_resource(config)[1]["service_url"] == "https://s3.${var.region}.amazonaws.com"


def test_explicit_service_url_is_kept(stack: TerraformStack) -> None:
    connection(stack, service_url="https://s3.cn-north-1.amazonaws.com.cn")
    _, config = synth(stack)
    assert only_resource(config)[1]["service_url"] == "https://s3.cn-north-1.amazonaws.com.cn"


def test_service_urls_adobe_refuses_are_refused_at_synth(stack: TerraformStack) -> None:
    for url in ("http://127.0.0.1:9000", "https://minio.example.com", "http://s3.us-east-1.amazonaws.com"):
        with pytest.raises(S3ValidationError, match="service_url: must be https://s3"):
            connection(stack, service_url=url)


def test_rotating_the_session_token_changes_one_attribute() -> None:
    def attributes(version: str) -> dict[str, object]:
        stack = TerraformStack(CdktfTesting.app(), "rotation")
        connection(stack, auth=AccessKeyAuth.from_variables(stack, session_token_version=version))
        return only_resource(synth(stack)[1])[1]

    before, after = attributes("1"), attributes("2")
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {"session_token_wo_version"}
    assert after["session_token_wo"] == "${var.s3_session_token}"  # the new value comes from TF_VAR_


def test_computed_attributes_are_references(stack: TerraformStack) -> None:
    from constructs_lib.framework import cdk

    TerraformOutput = cdk.TerraformOutput

    made = connection(stack)
    TerraformOutput(stack, "id", value=made.id)
    TerraformOutput(stack, "alias", value=made.connection_id)
    TerraformOutput(stack, "etag", value=made.etag)
    _, config = synth(stack)
    assert config["output"]["id"]["value"] == "${aep_s3_base_connection.amazon_s3.id}"
    assert config["output"]["alias"]["value"] == "${aep_s3_base_connection.amazon_s3.id}"
    assert config["output"]["etag"]["value"] == "${aep_s3_base_connection.amazon_s3.etag}"


def test_import_from_produces_an_import_block(stack: TerraformStack) -> None:
    made = connection(stack)
    made.import_from("4cb0c374-d3bb-4557-b139-5712880adc55")
    _, config = synth(stack)
    assert config["import"] == [
        {"id": "4cb0c374-d3bb-4557-b139-5712880adc55", "to": "aep_s3_base_connection.amazon_s3"}
    ]


def test_lifecycle_depends_on_and_provider_pass_through(stack: TerraformStack) -> None:
    from constructs_lib.framework import cdk

    TerraformResourceLifecycle = cdk.TerraformResourceLifecycle

    aliased = AepProvider(stack, "sandbox", alias="dev", sandbox_name="dev")
    first = S3BaseConnection(stack, "first", name="first", auth=IamRoleAuth(), bucket_name="acme-a")
    S3BaseConnection(
        stack,
        "second",
        name="second",
        auth=IamRoleAuth(),
        bucket_name="acme-b",
        provider=aliased,
        depends_on=[first.resource],
        lifecycle=TerraformResourceLifecycle(prevent_destroy=True),
    )
    _, config = synth(stack)
    second = config["resource"][RESOURCE]["second"]
    assert second["depends_on"] == ["aep_s3_base_connection.first"]
    assert second["lifecycle"] == {"prevent_destroy": True}
    assert second["provider"] == "aep.dev"
    assert config["provider"]["aep"] == [{"alias": "dev", "sandbox_name": "dev"}]


def test_nested_construct_gets_a_unique_address(stack: TerraformStack) -> None:
    from constructs import Construct

    group = Construct(stack, "team")
    S3BaseConnection(group, "amazon_s3", name="n", auth=IamRoleAuth(), bucket_name="acme-data")
    _, config = synth(stack)
    (logical_id,) = config["resource"][RESOURCE]
    assert logical_id.startswith("team_amazon_s3_")


# --- secrets never in the JSON ----------------------------------------------------------------

CANARIES = {
    "TF_VAR_s3_access_key": "AKIACANARY0ACCESS0KEY",
    "TF_VAR_s3_secret_key": "canary-secret-key-d41d8cd98f00",
    "TF_VAR_s3_session_token": "canary-session-token-9e107d9d372b",
    "AEP_CLIENT_SECRET": "canary-client-secret-e4d909c290d0",
}


def test_no_secret_reaches_the_synthesized_output(stack: TerraformStack, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CANARIES.items():
        monkeypatch.setenv(name, value)
    AepProvider(
        stack,
        "aep",
        client_id="client",
        org_id="ORG@AdobeOrg",
        client_secret=secret_variable(stack, "aep_client_secret"),
    )
    connection(stack, bucket_name="acme-data")
    text, config = synth(stack)
    for value in CANARIES.values():
        assert value not in text
    assert config["provider"]["aep"][0]["client_secret"] == "${var.aep_client_secret}"
    outdir = Path(CdktfTesting.full_synth(stack))
    files = [path for path in outdir.rglob("*") if path.is_file()]
    assert any(path.name == "cdk.tf.json" for path in files)
    for path in files:
        content = path.read_text(errors="replace")
        for value in CANARIES.values():
            assert value not in content, path


@pytest.mark.parametrize("prop", ["access_key", "secret_key", "session_token"])
def test_literal_access_key_auth_secret_is_refused(stack: TerraformStack, prop: str) -> None:
    values = {
        "access_key": secret_variable(stack, "a"),
        "secret_key": secret_variable(stack, "s"),
        "session_token": secret_variable(stack, "t"),
    }
    values[prop] = "literal-canary-value"
    with pytest.raises(LiteralSecretError, match=rf"AccessKeyAuth\.{prop}: must be a token") as raised:
        AccessKeyAuth(**values)
    assert raised.value.prop == f"AccessKeyAuth.{prop}"
    assert "literal-canary-value" not in str(raised.value)


def test_literal_empty_secret_is_refused_too(stack: TerraformStack) -> None:
    with pytest.raises(LiteralSecretError, match=r"AccessKeyAuth\.access_key"):
        AccessKeyAuth(access_key="", secret_key=secret_variable(stack, "s"))


def test_literal_client_secret_is_refused(stack: TerraformStack) -> None:
    with pytest.raises(LiteralSecretError, match="client_secret: must be a token") as raised:
        AepProvider(stack, "aep", client_secret="literal-canary-value")
    assert "literal-canary-value" not in str(raised.value)
    assert "AEP_CLIENT_SECRET" in str(raised.value)


@pytest.mark.parametrize("version", ["", True, 1.5, None])
def test_bad_versions_are_refused(stack: TerraformStack, version: object) -> None:
    with pytest.raises(ValueError, match=r"AccessKeyAuth\.session_token_version"):
        AccessKeyAuth(
            access_key=secret_variable(stack, "a"),
            secret_key=secret_variable(stack, "s"),
            session_token_version=version,  # type: ignore[arg-type]
        )


def test_integer_version_is_accepted(stack: TerraformStack) -> None:
    connection(stack, auth=AccessKeyAuth.from_variables(stack, session_token_version=3))
    assert only_resource(synth(stack)[1])[1]["session_token_wo_version"] == "3"


# --- synth-time validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "prop", "rule"),
    [
        ({"bucket_name": "ab"}, "bucket_name", "3 to 63 characters"),
        ({"bucket_name": "Acme_Data"}, "bucket_name", "lowercase letters, digits and hyphens"),
        ({"bucket_name": "-acme"}, "bucket_name", "start and end with a lowercase letter or a digit"),
        ({"bucket_name": "192.168.5.4"}, "bucket_name", "IP address"),
        ({"folder_path": "in/2024/"}, "folder_path", "must not end with '/'"),
        ({"folder_path": "in/a:b"}, "folder_path", "forbidden characters"),
        ({"folder_path": "in/con"}, "folder_path", "reserved name"),
        ({"folder_path": "in/.."}, "folder_path", "reserved name"),
        ({"folder_path": "x" * 256}, "folder_path", "at most 255 characters"),
        ({"folder_path": ""}, "folder_path", "must not be empty"),
        ({"region": "US-EAST-1"}, "region", "AWS region name"),
        ({"service_url": "ftp://s3.amazonaws.com"}, "service_url", "scheme"),
        ({"service_url": "https://key:secret@s3.amazonaws.com"}, "service_url", "user info"),
        ({"region": "us-east-1", "service_url": "https://s3.us-east-1.amazonaws.com"}, "region", "not both"),
        ({"name": "  "}, "name", "non-empty"),
        ({"auth": IamRoleAuth()}, "bucket_name", "required by auth spec 'IAMRole Based'"),
    ],
)
def test_each_rule_raises_naming_the_prop(
    stack: TerraformStack, props: dict[str, object], prop: str, rule: str
) -> None:
    with pytest.raises(S3ValidationError) as raised:
        connection(stack, **props)
    message = str(raised.value)
    assert f"{prop}: " in message
    assert rule in message
    assert prop in raised.value.props
    assert "amazon_s3" in message  # the construct path


def test_all_violations_are_reported_at_once(stack: TerraformStack) -> None:
    with pytest.raises(S3ValidationError) as raised:
        connection(stack, bucket_name="AB", folder_path="a/", region="nowhere")
    assert {"bucket_name", "folder_path", "region"} <= set(raised.value.props)


def test_failed_construct_leaves_the_id_free(stack: TerraformStack) -> None:
    with pytest.raises(S3ValidationError):
        connection(stack, bucket_name="AB")
    connection(stack, bucket_name="ab-c")  # same id, no "already a construct" error
    assert only_resource(synth(stack)[1])[1]["bucket_name"] == "ab-c"


def test_unresolved_tokens_are_left_to_the_provider(stack: TerraformStack) -> None:
    bucket = TerraformVariable(stack, "bucket", type="string").string_value
    folder = TerraformVariable(stack, "folder", type="string").string_value
    url = TerraformVariable(stack, "url", type="string").string_value
    connection(stack, bucket_name=bucket, folder_path=folder, service_url=url)
    _, attributes = only_resource(synth(stack)[1])
    assert attributes["bucket_name"] == "${var.bucket}"
    assert attributes["folder_path"] == "${var.folder}"
    assert attributes["service_url"] == "${var.url}"


def test_wrong_auth_type_is_refused(stack: TerraformStack) -> None:
    with pytest.raises(ConstructError, match="auth: must be AccessKeyAuth"):
        connection(stack, auth={"access_key": "x"})


def test_validation_runs_before_synth(stack: TerraformStack) -> None:
    """The error comes from the constructor, so `cdktf synth` fails before writing anything."""
    with pytest.raises(S3ValidationError):
        connection(stack, bucket_name="x")
    assert "aep_s3_base_connection" not in CdktfTesting.synth(stack)


# --- Terraform accepts what we declare ------------------------------------------------------------


@pytest.mark.e2e
def test_terraform_accepts_the_ephemeral_variables(stack: TerraformStack, tmp_path: Path) -> None:
    """Only the variable blocks (the provider is not installed here): Terraform >= 1.10 must
    accept ephemeral + sensitive + nullable with a null default."""
    connection(stack)
    _, config = synth(stack)
    (tmp_path / "main.tf.json").write_text(
        json.dumps({"variable": config["variable"], "locals": {"t": "${var.s3_session_token}"}})
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    for args in (["init", "-backend=false", "-input=false"], ["validate"]):
        done = subprocess.run(
            ["terraform", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
