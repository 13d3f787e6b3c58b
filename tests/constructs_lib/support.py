"""Helpers for the construct tests."""

from __future__ import annotations

import json
import os
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from constructs_lib.framework import cdk

TerraformStack, TerraformVariable, Testing = cdk.TerraformStack, cdk.TerraformVariable, cdk.Testing


def synth(stack: TerraformStack) -> tuple[str, dict[str, Any]]:
    """The stack's cdk.tf.json, as text and parsed."""
    text = Testing.synth(stack)
    return text, json.loads(text)


def secret_variable(stack: TerraformStack, name: str) -> str:
    """A sensitive variable's reference token, the way an app author passes a secret."""
    return TerraformVariable(stack, name, type="string", sensitive=True).string_value


def only_resource(config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(logical id, attributes) of the single aep_s3_base_connection in ``config``."""
    resources = config["resource"]["aep_s3_base_connection"]
    assert len(resources) == 1, resources
    return next(iter(resources.items()))
