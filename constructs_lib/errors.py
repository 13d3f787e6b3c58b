"""Errors raised while a CDKTF app is being built, before anything reaches Terraform.

Each names the construct path, the prop and the rule it breaks, and shows the value when it is
not a secret, so :func:`constructs_lib.synth.report` can print one clean block per violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aep_spec.rules import HIDDEN, RuleViolation, format_violations
from constructs_lib.framework import cdk


@dataclass(frozen=True)
class PropViolation:
    """One broken rule: where (construct path), which prop, why, and the offending value if shown."""

    path: str
    prop: str
    rule: str
    value: Any = HIDDEN

    @classmethod
    def of(cls, path: str, violation: RuleViolation, value: Any = HIDDEN) -> PropViolation:
        """A shared rule's verdict at ``path``, with the value its check judged (else ``value``)."""
        return cls(path, violation.field, violation.rule, violation.value if violation.shows_value else value)

    @property
    def shows_value(self) -> bool:
        return self.value is not HIDDEN

    def block(self) -> str:
        """The lines a user reads for this violation."""
        lines = [f"Error: invalid {self.prop} in {self.path}", f"  {self.prop}: {self.rule}"]
        if self.shows_value:
            lines.append(f"  value: {self.value!r}")
        return "\n".join(lines)


class ConstructError(ValueError):
    """A construct's props break rules; ``violations`` holds each one (never a secret value)."""

    def __init__(self, violations: Sequence[PropViolation]) -> None:
        self.violations = list(violations)
        super().__init__("\n".join(v.block() for v in self.violations))


class LiteralSecretError(ConstructError):
    """A secret was given as a literal string; it would be written to cdk.tf.json in clear."""

    def __init__(self, prop: str, hint: str = "", path: str = "") -> None:
        self.prop = prop
        rule = ("must be a token (an unresolved reference such as a sensitive TerraformVariable's "
                ".string_value), not a literal string: a literal would be written in clear to cdk.tf.json")
        super().__init__([PropViolation(path or "(app)", prop, f"{rule}. {hint}".rstrip(". ") + ".")])


class S3ValidationError(ConstructError):
    """Props of an S3 base connection break rules of Adobe's S3 connection spec."""

    def __init__(self, path: str, violations: Sequence[RuleViolation],
                 values: Mapping[str, Any] | None = None) -> None:
        self.path = path
        self.props = [v.field for v in violations]
        shown = values or {}
        super().__init__([PropViolation.of(path, v, shown.get(v.field, HIDDEN)) for v in violations])
        self.rule_violations = list(violations)

    def summary(self) -> str:
        return f"invalid Amazon S3 base connection {self.path!r}:\n{format_violations(self.rule_violations)}"


def construct_path(scope: Any, id: str) -> str:
    """Where a construct ``id`` under ``scope`` sits (``s3-prod/orders``), for messages."""
    parent: str = scope.node.path
    return f"{parent}/{id}" if parent else id


def is_token(value: Any) -> bool:
    """True when ``value`` is (or embeds) an unresolved CDKTF token, known only to Terraform.

    Decided in Python for the common cases: asking the jsii kernel costs a round trip to Node
    (about 0.6 ms), which at 20 checks per connection was most of a large app's synthesis.
    String tokens are encoded as ``${TfToken[...]}`` (list elements ``#{TfToken[...]}``), and any
    ``${`` is a Terraform expression; ints and booleans are never tokens; only floats (CDKTF's
    number tokens are special doubles) and objects go to the kernel.
    """
    if value is None or isinstance(value, bool | int):
        return False
    if isinstance(value, str):
        return "${" in value or "#{TfToken[" in value
    if isinstance(value, list | tuple):
        return any(is_token(item) for item in value)
    return bool(cdk.Token.is_unresolved(value))


def require_token(value: Any, prop: str, hint: str = "", path: str = "") -> None:
    """Refuse a literal secret; ``None`` (not set) is accepted."""
    if value is not None and not is_token(value):
        raise LiteralSecretError(prop, hint, path)
