"""Plan-time validation of `flowservice_s3_base_connection` (ValidateResourceConfig).

The rules themselves live in `flowservice_client.s3_rules`, shared with the construct's
synth-time checks; this module only turns them into diagnostics that point at attributes.
A value not known yet (it comes from another resource) is skipped here and checked by the
API at apply.
"""

from __future__ import annotations

from flowservice_client import s3_rules
from flowservice_provider.protocol.resource import UNKNOWN, Diagnostic, Value

_SINGLE_VALUE_CHECKS = (
    ("bucket_name", s3_rules.check_bucket_name),
    ("folder_path", s3_rules.check_folder_path),
    ("service_url", s3_rules.check_service_url),
)


def _diagnostic(violation: s3_rules.RuleViolation) -> Diagnostic:
    return Diagnostic("error", f"Invalid {violation.field}", str(violation), (violation.field,))


def validate_config(config: dict[str, Value]) -> list[Diagnostic]:
    """Every rule of the S3 spec that can be decided from this configuration."""
    violations: list[s3_rules.RuleViolation] = []
    for attribute, check in _SINGLE_VALUE_CHECKS:
        value = config.get(attribute)
        if value is not None and value is not UNKNOWN:
            violations.extend(check(value, attribute))
    auth_spec_name = config.get("auth_spec_name")
    if auth_spec_name is not UNKNOWN:
        present = [param for param, attribute in s3_rules.TERRAFORM_ATTRIBUTES.items()
                   if config.get(attribute) is not None]
        violations.extend(s3_rules.check_auth(auth_spec_name, present, s3_rules.TERRAFORM_ATTRIBUTES))
    return [_diagnostic(v) for v in violations]
