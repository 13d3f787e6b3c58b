"""`aep_s3_base_connection`: an Amazon S3 base connection in Adobe's Flow Service.

Create is one POST, update one JSON Patch PATCH with `If-Match: <etag in state>`, delete one
DELETE, refresh one GET. Credentials are write-only: they reach this handler only in `config`
at apply and are never returned in state; a `*_wo_version` change is what sends a new value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aep_client.kinds import CONNECTIONS
from aep_provider.protocol.resource import UNKNOWN, Attribute, Diagnostic, Schema, Value, error
from aep_provider.resources.flow_object import FlowObject, Ops, log, named, put, tracked
from aep_spec import identity, s3
from aep_spec.identity import CREDENTIALS_MISSING

S3_CONNECTION_SPEC_ID = s3.CONNECTION_SPEC_ID
S3_CONNECTION_SPEC_VERSION = s3.CONNECTION_SPEC_VERSION


@dataclass(frozen=True)
class Param:
    """How one Terraform attribute maps to one `auth.params` member."""

    attribute: str
    api_name: str
    secret: bool = False

    @property
    def version_attribute(self) -> str:
        return f"{self.attribute}_version"


PLAIN_PARAMS = (
    Param("bucket_name", "bucketName"),
    Param("folder_path", "folderPath"),
    Param("service_url", "serviceUrl"),
)
SECRET_PARAMS = (
    Param("access_key_wo", "s3AccessKey", secret=True),
    Param("secret_key_wo", "s3SecretKey", secret=True),
    Param("session_token_wo", "s3SessionToken", secret=True),
)


def _secret(param: Param, what: str) -> tuple[Attribute, Attribute]:
    return (
        Attribute(param.attribute, "string", optional=True, sensitive=True, write_only=True, description=(
            f"{what} (`auth.params.{param.api_name}`). Write-only: sent on create and when "
            f"`{param.version_attribute}` changes, never stored in state.")),
        Attribute(param.version_attribute, "string", optional=True, description=(
            f"Any string; change it to send a new `{param.attribute}` (one PATCH of "
            f"`/auth/params/{param.api_name}`).")),
    )


SCHEMA = Schema(
    version=1,
    description="An Amazon S3 base connection (`POST /connections` with the S3 connection spec).",
    attributes=(
        *named("connection"),
        Attribute("auth_spec_name", "string", optional=True, computed=True, description=(
            "`Access Key` (default) or `IAMRole Based`. Changing it replaces the connection.")),
        Attribute("bucket_name", "string", optional=True, description=(
            "S3 bucket (`auth.params.bucketName`); required for `IAMRole Based`.")),
        Attribute("folder_path", "string", optional=True, description=(
            "Folder in the bucket (`auth.params.folderPath`), needed when access is restricted.")),
        Attribute("service_url", "string", optional=True, description=(
            "S3 endpoint (`auth.params.serviceUrl`), `https://s3.{REGION}.amazonaws.com` for "
            "region-specific buckets.")),
        *_secret(SECRET_PARAMS[0], "S3 access key id"),
        *_secret(SECRET_PARAMS[1], "S3 secret access key"),
        *_secret(SECRET_PARAMS[2], "Temporary S3 session token"),
        Attribute("connection_spec_id", "string", computed=True, description="The S3 connection spec id."),
        Attribute("sandbox_name", "string", computed=True, description="Sandbox the connection lives in."),
        *tracked("connection"),
    ),
)

# Attributes whose change is a PATCH; everything else is either computed or forces a replacement.
PATCHED = ("name", "description", *(p.attribute for p in PLAIN_PARAMS), *(p.version_attribute for p in SECRET_PARAMS))
REPLACING = ("auth_spec_name",)
# What a GET shows of the configuration: a change elsewhere in anything else is invisible.
VISIBLE = ("name", "description", "auth_spec_name", *(p.attribute for p in PLAIN_PARAMS))


def _auth(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A read record's ``auth`` and its ``params`` (empty where the record has none)."""
    auth = record.get("auth")
    auth = auth if isinstance(auth, dict) else {}
    params = auth.get("params")
    return auth, params if isinstance(params, dict) else {}


class S3BaseConnection(FlowObject):
    """An S3 base connection: write-only credentials with versions, plus the shared lifecycle."""

    type_name = identity.S3_BASE_CONNECTION
    schema = SCHEMA
    kind = CONNECTIONS
    listing = (f"connectionSpec.id=={s3.CONNECTION_SPEC_ID}",)
    patched = PATCHED
    replacing = REPLACING
    defaulted = {"auth_spec_name": s3.DEFAULT_AUTH_SPEC_NAME}
    fixed = {"connection_spec_id": S3_CONNECTION_SPEC_ID}

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        from aep_provider.resources.s3_validation import validate_config

        return validate_config(config)

    def unknown_on_create(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        planned["sandbox_name"] = self.context.sandbox_name

    def check_plan(self, prior: dict[str, Value] | None, config: dict[str, Value]) -> None:
        """A create or a version change that would send a secret nobody supplied: say so, before
        anything is sent, in one diagnostic per connection.

        Only a create or a version change sends the secret. An unchanged version needs no value:
        `terraform destroy` plans the configuration first and must not need the secrets.
        """
        missing = []
        for param in SECRET_PARAMS:
            version, value = config.get(param.version_attribute), config.get(param.attribute)
            if version is None or version is UNKNOWN or value is not None:
                continue
            if prior is not None and prior.get(param.version_attribute) == version:
                continue
            missing.append(param)
        if not missing:
            return
        attributes = ", ".join(p.attribute for p in missing)
        name = config.get("name")
        if prior is None:
            gone = self._gone.get(name) if isinstance(name, str) else None
            action = "re-create" if gone else "create"
            why = (f"Connection {gone} was deleted in Flow Service outside Terraform, so it must be created again. "
                   if gone else "")
            raise error(
                f"{CREDENTIALS_MISSING} to {action} connection {name!r}",
                f"{why}A create sends the connection's credentials, and Flow Service never returns them, so "
                f"they cannot come from the connection in AEP or from state. Not set: {attributes} (write-only "
                "attributes, fed from ephemeral variables).",
                (missing[0].attribute,))
        raise error(
            f"{CREDENTIALS_MISSING} to update connection {name!r}",
            f"The version of {attributes} changed, which sends a new value, but no value is set (write-only "
            "attributes, fed from ephemeral variables). Set it, or keep the version.",
            (missing[0].attribute,))

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for param in (*SECRET_PARAMS, *PLAIN_PARAMS):
            source = config if param.secret else planned
            if source.get(param.attribute) is not None:
                params[param.api_name] = source[param.attribute]
        body: dict[str, Any] = {
            "auth": {"specName": planned["auth_spec_name"], "params": params},
            "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": S3_CONNECTION_SPEC_VERSION},
        }
        return body

    def mismatch(self, record: dict[str, Any], planned: dict[str, Value]) -> str | None:
        spec_name = _auth(record)[0].get("specName")
        wanted = planned.get("auth_spec_name")
        wanted = wanted if isinstance(wanted, str) else s3.DEFAULT_AUTH_SPEC_NAME
        return None if spec_name in (None, wanted) else f"its auth spec is {spec_name!r}, not {wanted!r}"

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        """Remote values win for what the API shows; versions and secrets stay as configured."""
        auth, params = _auth(record)
        new = self.common(record, prior)
        new.update(
            auth_spec_name=auth.get("specName") or prior.get("auth_spec_name"),
            connection_spec_id=(record.get("connectionSpec") or {}).get("id", S3_CONNECTION_SPEC_ID),
            sandbox_name=record.get("sandboxName") or self.context.sandbox_name,
        )
        for param in PLAIN_PARAMS:
            new[param.attribute] = params.get(param.api_name) or None
        for param in SECRET_PARAMS:
            new[param.attribute] = None
        if self.invisible_change(prior, new):
            # Something we cannot see changed (credentials rotated elsewhere, most likely): the
            # versions no longer say which credentials the connection holds, so forget them and
            # the plan re-sends the configured ones.
            log().warning("connection %s changed outside Terraform (etag %s -> %s) with no visible "
                          "difference; its credentials will be re-sent", new["id"], prior["etag"], new["etag"])
            for param in SECRET_PARAMS:
                new[param.version_attribute] = None
        return new

    @staticmethod
    def invisible_change(prior: dict[str, Value], new: dict[str, Value]) -> bool:
        """True when the etag moved but nothing the API shows us did."""
        if prior.get("etag") is None or new.get("etag") == prior.get("etag"):
            return False
        return all(new.get(name) == prior.get(name) for name in VISIBLE)

    def patch_ops(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value],
                  adopting: dict[str, Any] | None = None) -> Ops:
        """The JSON Patch that turns the prior connection into the planned one, nothing more.

        When ``adopting`` a connection (its read record), every configured secret is sent, and one
        the configuration leaves out but the record shows is removed: its credentials cannot be read.
        """
        ops = super().patch_ops(prior, planned, config)
        for param in PLAIN_PARAMS:
            if planned.get(param.attribute) != prior.get(param.attribute):
                put(ops, f"/auth/params/{param.api_name}", prior.get(param.attribute), planned.get(param.attribute))
        present = frozenset(_auth(adopting)[1]) if adopting is not None else None
        for param in SECRET_PARAMS:
            path = f"/auth/params/{param.api_name}"
            if present is not None:
                had = param.api_name in present
                if config.get(param.attribute) is not None or had:
                    put(ops, path, "present" if had else None, config.get(param.attribute))
            elif planned.get(param.version_attribute) != prior.get(param.version_attribute):
                put(ops, path, prior.get(param.version_attribute), config.get(param.attribute))
        return ops
