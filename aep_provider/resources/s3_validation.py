"""Plan-time validation of `aep_s3_base_connection` (ValidateResourceConfig).

The rules live in `aep_spec.rules`, shared with the construct's synth-time checks and
the local AEP; this module only points them at attributes. A value not known yet (it
comes from another resource) is skipped here and checked by the API at apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aep_provider.protocol.resource import UNKNOWN, Diagnostic, Value
from aep_provider.resources.flow_object import rule_diagnostics
from aep_spec import rules, s3

#: API parameter -> the resource attribute that carries it.
ATTRIBUTES: Mapping[str, str] = {
    s3.PARAM_ACCESS_KEY: "access_key_wo",
    s3.PARAM_SECRET_KEY: "secret_key_wo",
    s3.PARAM_SESSION_TOKEN: "session_token_wo",
    s3.PARAM_SERVICE_URL: "service_url",
    s3.PARAM_BUCKET_NAME: "bucket_name",
    s3.PARAM_FOLDER_PATH: "folder_path",
}

_CHECKS: tuple[tuple[str, Callable[[object, str], list[rules.RuleViolation]]], ...] = (
    ("name", lambda value, field: rules.check_text(value, field, required=True)),
    ("description", rules.check_text),
    ("bucket_name", rules.check_bucket_name),
    ("folder_path", rules.check_folder_path),
    ("service_url", rules.check_service_url),
    *((ATTRIBUTES[p], rules.check_secret) for p in sorted(s3.SECRET_PARAMS)),
)


def validate_config(config: Mapping[str, Value]) -> list[Diagnostic]:
    """Every rule of the S3 spec that can be decided from this configuration."""
    violations: list[rules.RuleViolation] = []
    for attribute, check in _CHECKS:
        value = config.get(attribute)
        if value is not None and value is not UNKNOWN:
            violations.extend(check(value, attribute))
    auth_spec_name = config.get("auth_spec_name")
    if auth_spec_name is None or isinstance(auth_spec_name, str):
        # A write-only secret counts as given when its version is set: its value may be left out
        # where nothing is sent (a destroy, an unchanged version); plan checks it where it is sent.
        present = [param for param, attribute in ATTRIBUTES.items()
                   if config.get(attribute) is not None
                   or (param in s3.SECRET_PARAMS and config.get(f"{attribute}_version") is not None)]
        violations.extend(rules.check_auth(auth_spec_name, present, ATTRIBUTES))
    return rule_diagnostics(violations)
