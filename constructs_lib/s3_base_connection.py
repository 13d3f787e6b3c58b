"""The ``S3BaseConnection`` construct: an AEP Amazon S3 base connection with typed props.

Why a construct over the raw binding: it checks the props against Adobe's S3 spec while the app
is being synthesized (the earliest point: a typo in a bucket name fails ``cdktf synth``, not a
deploy), turns a region into the spec's service URL, and keeps credentials out of cdk.tf.json
by accepting them only as tokens bound to write-only attributes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from constructs import Construct

from aep_spec import rules, s3
from aep_spec.rules import RuleViolation
from constructs_lib.bindings import AepProvider, S3BaseConnectionResource
from constructs_lib.errors import (
    ConstructError,
    PropViolation,
    S3ValidationError,
    construct_path,
    is_token,
    require_token,
)
from constructs_lib.framework import cdk

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The version every write-only value starts at; bump it to send a new value.
FIRST_VERSION = "1"

_VARIABLE_HINT = (
    "Use AccessKeyAuth.from_variables(scope) and set TF_VAR_<prefix>_access_key, "
    "TF_VAR_<prefix>_secret_key and TF_VAR_<prefix>_session_token"
)


def ephemeral_secret_variable(
    scope: Construct,
    name: str,
    *,
    description: str | None = None,
    optional: bool = False,
) -> cdk.TerraformVariable:
    """Declare (or reuse) the stack variable ``name``: string, sensitive and ephemeral.

    Ephemeral input variables (Terraform >= 1.10) never reach a plan file or the state, and
    Terraform only lets them flow into write-only attributes and provider configuration, so a
    secret cannot leak into state by mistake. The value comes from ``TF_VAR_<name>``.
    ``optional`` makes the variable nullable with a null default. cdktf 0.21 has no
    ``ephemeral`` option: it is added as an override. The variable is declared at the stack's
    top level under exactly ``name`` (no hash suffix), so ``TF_VAR_<name>`` is predictable; a
    second call with the same name returns the first variable.
    """
    if not _VARIABLE_NAME.fullmatch(name):
        raise ValueError(
            f"variable name {name!r}: use letters, digits and underscores, not starting "
            "with a digit (it becomes TF_VAR_<name>)"
        )
    stack = cdk.TerraformStack.of(scope)
    existing = stack.node.try_find_child(name)
    if existing is not None:
        if not isinstance(existing, cdk.TerraformVariable):
            raise ValueError(f"{name!r} already names another construct of the stack")
        return existing
    variable = cdk.TerraformVariable(
        stack,
        name,
        type="string",
        sensitive=True,
        description=description,
        nullable=True if optional else None,
        default=cdk.Token.null_value() if optional else None,
    )
    variable.override_logical_id(name)
    variable.add_override("ephemeral", True)
    return variable


@dataclass(frozen=True)
class AccessKeyAuth:
    """Auth spec ``Access Key``: an access key pair, optionally a temporary session token.

    The three secrets must be tokens (e.g. ``TerraformVariable(...).string_value``); a literal
    raises :class:`~constructs_lib.errors.LiteralSecretError` here, before anything else. They
    are sent through write-only attributes; Terraform stores only the versions. To rotate a
    value, change its ``*_version`` (e.g. ``session_token_version="2"``) and supply the new
    value through the variable: the provider then PATCHes just that parameter.
    """

    access_key: str
    secret_key: str
    session_token: str | None = None
    access_key_version: str | int = FIRST_VERSION
    secret_key_version: str | int = FIRST_VERSION
    session_token_version: str | int = FIRST_VERSION

    auth_spec_name: ClassVar[str] = s3.ACCESS_KEY

    def __post_init__(self) -> None:
        for prop in ("access_key", "secret_key", "session_token"):
            require_token(getattr(self, prop), f"AccessKeyAuth.{prop}", _VARIABLE_HINT + ".")
        for prop in ("access_key_version", "secret_key_version", "session_token_version"):
            value = getattr(self, prop)
            if is_token(value):
                continue
            if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
                raise ConstructError([PropViolation("(auth)", f"AccessKeyAuth.{prop}",
                                                    "must be a non-empty string or an integer", value)])

    @classmethod
    def from_variables(
        cls,
        scope: Construct,
        prefix: str = "s3",
        *,
        access_key_version: str | int = FIRST_VERSION,
        secret_key_version: str | int = FIRST_VERSION,
        session_token_version: str | int = FIRST_VERSION,
        with_session_token: bool = True,
    ) -> AccessKeyAuth:
        """Credentials from the ephemeral, sensitive variables ``{prefix}_access_key``,
        ``{prefix}_secret_key`` and ``{prefix}_session_token`` (the last optional, null by
        default; left out with ``with_session_token=False``), set with ``TF_VAR_{prefix}_...``.
        Connections sharing a prefix share them.
        """
        # Nullable: a destroy, or a plan that sends no credential, needs none of them; the provider
        # refuses a create without keys at plan, and `make deploy` names a missing one up front.
        access_key = ephemeral_secret_variable(
            scope, f"{prefix}_access_key", description="AWS access key id for the S3 connection", optional=True
        )
        secret_key = ephemeral_secret_variable(
            scope, f"{prefix}_secret_key", description="AWS secret access key for the S3 connection", optional=True
        )
        session_token = ephemeral_secret_variable(
            scope,
            f"{prefix}_session_token",
            description="Temporary AWS session token (optional); bump session_token_version when you set a new one",
            optional=True,
        ) if with_session_token else None
        return cls(
            access_key=access_key.string_value,
            secret_key=secret_key.string_value,
            session_token=session_token.string_value if session_token is not None else None,
            access_key_version=access_key_version,
            secret_key_version=secret_key_version,
            session_token_version=session_token_version,
        )


@dataclass(frozen=True)
class IamRoleAuth:
    """Auth spec ``IAMRole Based`` (Experience Platform on AWS): no keys; Adobe assumes an IAM
    role your bucket trusts. ``bucket_name`` becomes required."""

    auth_spec_name: ClassVar[str] = s3.IAM_ROLE_BASED


S3Auth = AccessKeyAuth | IamRoleAuth

# API parameter -> the prop an app author wrote, for messages.
_PROP_NAMES: Mapping[str, str] = {
    s3.PARAM_ACCESS_KEY: "auth.access_key",
    s3.PARAM_SECRET_KEY: "auth.secret_key",
    s3.PARAM_SESSION_TOKEN: "auth.session_token",
    s3.PARAM_BUCKET_NAME: "bucket_name",
    s3.PARAM_FOLDER_PATH: "folder_path",
    s3.PARAM_SERVICE_URL: "service_url",
}


def check_props(
    *,
    name: str,
    description: str | None = None,
    auth_spec_name: str = s3.ACCESS_KEY,
    credentials: Collection[str] = (s3.PARAM_ACCESS_KEY, s3.PARAM_SECRET_KEY),
    bucket_name: str | None = None,
    folder_path: str | None = None,
    region: str | None = None,
    service_url: str | None = None,
) -> list[RuleViolation]:
    """Every spec rule the literal props break; tokens are left to the provider's plan.

    ``credentials`` names the key parameters given (``s3AccessKey``...), as variables.
    """
    out: list[RuleViolation] = []
    if not is_token(name):
        out.extend(rules.check_text(name, "name", required=True))
    if description is not None and not is_token(description):
        out.extend(rules.check_text(description, "description"))
    if region is not None and service_url is not None:
        out.append(RuleViolation("region", "give either region or service_url, not both"))
    if region is not None and not is_token(region):
        out.extend(rules.check_region(region, "region"))
    if service_url is not None and not is_token(service_url):
        out.extend(rules.check_service_url(service_url, "service_url"))
    if bucket_name is not None and not is_token(bucket_name):
        out.extend(rules.check_bucket_name(bucket_name, "bucket_name"))
    if folder_path is not None and not is_token(folder_path):
        out.extend(rules.check_folder_path(folder_path, "folder_path"))
    present = {*credentials, *([s3.PARAM_BUCKET_NAME] if bucket_name is not None else [])}
    out.extend(rules.check_auth(auth_spec_name, present, _PROP_NAMES, "auth"))
    return out


def _credentials(auth: S3Auth) -> list[str]:
    """The key parameters ``auth`` supplies."""
    if not isinstance(auth, AccessKeyAuth):
        return []
    given = {s3.PARAM_ACCESS_KEY: auth.access_key, s3.PARAM_SECRET_KEY: auth.secret_key,
             s3.PARAM_SESSION_TOKEN: auth.session_token}
    return [param for param, value in given.items() if value is not None]


class S3BaseConnection(S3BaseConnectionResource):
    """An authenticated connection between Experience Platform and an Amazon S3 bucket.

    The resource binding itself, with typed props checked first: raises
    :class:`~constructs_lib.errors.S3ValidationError` (listing each prop and the rule it breaks)
    when a literal prop breaks Adobe's S3 spec, before anything joins the construct tree. Give
    ``region`` (turned into ``https://s3.{region}.amazonaws.com``) or ``service_url`` (the same
    format, written out), not both, or neither for the global endpoint. Directly under a stack it
    is addressed as ``aep_s3_base_connection.<id>``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        auth: S3Auth,
        description: str | None = None,
        bucket_name: str | None = None,
        folder_path: str | None = None,
        region: str | None = None,
        service_url: str | None = None,
        provider: AepProvider | cdk.TerraformProvider | None = None,
        depends_on: Sequence[cdk.ITerraformDependable] | None = None,
        lifecycle: cdk.TerraformResourceLifecycle | dict[str, Any] | None = None,
    ) -> None:
        path = construct_path(scope, id)
        given: object = auth  # apps without a type checker can pass anything
        if not isinstance(given, AccessKeyAuth | IamRoleAuth):
            rule = f"must be AccessKeyAuth(...) or IamRoleAuth() (got {type(given).__name__})"
            raise ConstructError([PropViolation(path, "auth", rule)])
        violations = check_props(
            name=name,
            description=description,
            auth_spec_name=auth.auth_spec_name,
            credentials=_credentials(auth),
            bucket_name=bucket_name,
            folder_path=folder_path,
            region=region,
            service_url=service_url,
        )
        if violations:
            shown = {"name": name, "description": description, "bucket_name": bucket_name,
                     "folder_path": folder_path, "region": region, "service_url": service_url}
            raise S3ValidationError(path, violations, {k: v for k, v in shown.items() if v is not None})
        if region is not None:
            service_url = (
                s3.SERVICE_URL_FORMAT.format(region=region)
                if is_token(region)
                else rules.service_url_for_region(region)
            )
        key_attributes: dict[str, Any] = {}
        if isinstance(auth, AccessKeyAuth):
            key_attributes = {
                "access_key_wo": auth.access_key,
                "access_key_wo_version": auth.access_key_version,
                "secret_key_wo": auth.secret_key,
                "secret_key_wo_version": auth.secret_key_version,
                "session_token_wo": auth.session_token,
                "session_token_wo_version": (auth.session_token_version if auth.session_token is not None else None),
            }
        # Validated before joining the tree: a failed construct leaves no half-built node.
        super().__init__(
            scope,
            id,
            name=name,
            description=description,
            auth_spec_name=auth.auth_spec_name,
            bucket_name=bucket_name,
            folder_path=folder_path,
            service_url=service_url,
            provider=provider,
            depends_on=depends_on,
            lifecycle=lifecycle,
            **key_attributes,
        )
        self.auth = auth

    @property
    def resource(self) -> S3BaseConnectionResource:
        """The resource binding (the construct itself: one jsii object per connection)."""
        return self

    @property
    def connection_id(self) -> str:
        """Alias of :attr:`id`."""
        return self.id

    @property
    def service_url(self) -> str | None:
        """The service URL sent to Flow Service (derived from ``region`` when given)."""
        value = self.configured.get("service_url")
        return None if value is None else str(value)
