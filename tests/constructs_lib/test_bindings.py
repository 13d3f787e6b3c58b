"""The hand-written bindings: provider and resource attributes exactly as the provider's schema."""

from __future__ import annotations

import pytest

from aep_spec.identity import VERSION
from constructs_lib import AepProvider, LiteralSecretError, S3BaseConnectionResource
from tests.constructs_lib.support import TerraformStack, TerraformVariable, secret_variable, synth


def test_every_provider_attribute(stack: TerraformStack) -> None:
    client_secret = secret_variable(stack, "aep_client_secret")
    AepProvider(
        stack,
        "aep",
        flow_service_url="https://platform.adobe.io/data/foundation/flowservice",
        ims_url="https://ims-na1.adobelogin.com",
        client_id="client-id",
        client_secret=client_secret,
        org_id="ORG@AdobeOrg",
        sandbox_name="dev",
        scopes=["openid", "AdobeID"],
        request_timeout=10,
        operation_timeout=120.5,
        max_retries=0,
    )
    _, config = synth(stack)
    assert config["provider"]["aep"] == [
        {
            "flow_service_url": "https://platform.adobe.io/data/foundation/flowservice",
            "ims_url": "https://ims-na1.adobelogin.com",
            "client_id": "client-id",
            "client_secret": "${var.aep_client_secret}",
            "org_id": "ORG@AdobeOrg",
            "sandbox_name": "dev",
            "scopes": ["openid", "AdobeID"],
            "request_timeout": 10,
            "operation_timeout": 120.5,
            "max_retries": 0,
        }
    ]


def test_provider_without_attributes_relies_on_the_environment(stack: TerraformStack) -> None:
    AepProvider(stack, "aep")
    _, config = synth(stack)
    assert config["provider"]["aep"] == [{}]
    assert config["terraform"]["required_providers"]["aep"]["version"] == VERSION


def test_provider_number_tokens_are_accepted(stack: TerraformStack) -> None:
    timeout = TerraformVariable(stack, "timeout", type="number").number_value
    AepProvider(stack, "aep", request_timeout=timeout)
    _, config = synth(stack)
    assert config["provider"]["aep"][0]["request_timeout"] == "${var.timeout}"


@pytest.mark.parametrize(("prop", "value"), [("request_timeout", 0), ("operation_timeout", -1), ("max_retries", -1)])
def test_provider_rejects_impossible_numbers(stack: TerraformStack, prop: str, value: int) -> None:
    with pytest.raises(ValueError, match=prop):
        AepProvider(stack, "aep", **{prop: value})  # type: ignore[arg-type]


def test_resource_every_configurable_attribute(stack: TerraformStack) -> None:
    key = secret_variable(stack, "k")
    secret = secret_variable(stack, "s")
    token = secret_variable(stack, "t")
    S3BaseConnectionResource(
        stack,
        "raw",
        name="n",
        description="d",
        auth_spec_name="Access Key",
        bucket_name="acme-data",
        folder_path="in",
        service_url="https://s3.us-east-1.amazonaws.com",
        access_key_wo=key,
        access_key_wo_version="1",
        secret_key_wo=secret,
        secret_key_wo_version="2",
        session_token_wo=token,
        session_token_wo_version=3,
    )
    _, config = synth(stack)
    assert config["resource"]["aep_s3_base_connection"]["raw"] == {
        "name": "n",
        "description": "d",
        "auth_spec_name": "Access Key",
        "bucket_name": "acme-data",
        "folder_path": "in",
        "service_url": "https://s3.us-east-1.amazonaws.com",
        "access_key_wo": "${var.k}",
        "access_key_wo_version": "1",
        "secret_key_wo": "${var.s}",
        "secret_key_wo_version": "2",
        "session_token_wo": "${var.t}",
        "session_token_wo_version": "3",  # written as the schema's string
    }


@pytest.mark.parametrize("prop", ["access_key_wo", "secret_key_wo", "session_token_wo"])
def test_resource_refuses_literal_write_only_values(stack: TerraformStack, prop: str) -> None:
    with pytest.raises(LiteralSecretError, match=f"{prop}: must be a token"):
        S3BaseConnectionResource(stack, "raw", name="n", **{prop: "literal"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "attribute", ["id", "etag", "state", "created_at", "updated_at", "connection_spec_id", "sandbox_name"]
)
def test_computed_getters(stack: TerraformStack, attribute: str) -> None:
    from constructs_lib.framework import cdk

    TerraformOutput = cdk.TerraformOutput

    resource = S3BaseConnectionResource(stack, "raw", name="n")
    TerraformOutput(stack, "out", value=getattr(resource, attribute))
    _, config = synth(stack)
    assert config["output"]["out"]["value"] == f"${{aep_s3_base_connection.raw.{attribute}}}"


def test_resource_import_from(stack: TerraformStack) -> None:
    resource = S3BaseConnectionResource(stack, "raw", name="n")
    resource.import_from("abc-123")
    _, config = synth(stack)
    assert config["import"] == [{"id": "abc-123", "to": "aep_s3_base_connection.raw"}]
