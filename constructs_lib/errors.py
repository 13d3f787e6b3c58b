"""Errors raised while a CDKTF app is being built (before anything reaches Terraform)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cdktf import Token

from flowservice_spec.rules import RuleViolation, format_violations


class LiteralSecretError(ValueError):
    """A secret was given as a literal string; it would be written to cdk.tf.json in clear.

    ``prop`` names the argument the app author wrote.
    """

    def __init__(self, prop: str, hint: str = "") -> None:
        self.prop = prop
        message = (
            f"{prop}: must be a token (an unresolved reference such as a sensitive "
            "TerraformVariable's .string_value), not a literal string: a literal would be "
            "written in clear to cdk.tf.json"
        )
        super().__init__(f"{message}. {hint}" if hint else message)


class S3ValidationError(ValueError):
    """Props of an S3 base connection break rules of Adobe's S3 connection spec."""

    def __init__(self, path: str, violations: Sequence[RuleViolation]) -> None:
        self.path = path
        self.violations = list(violations)
        self.props = [v.field for v in self.violations]
        super().__init__(f"invalid Amazon S3 base connection {path!r}:\n{format_violations(self.violations)}")


def is_token(value: Any) -> bool:
    """True when ``value`` is (or embeds) an unresolved CDKTF token, known only to Terraform."""
    return bool(Token.is_unresolved(value))


def require_token(value: Any, prop: str, hint: str = "") -> None:
    """Refuse a literal secret; ``None`` (not set) is accepted."""
    if value is not None and not is_token(value):
        raise LiteralSecretError(prop, hint)
