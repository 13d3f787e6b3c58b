"""`flowservice_s3_base_connection`: an Amazon S3 base connection in Adobe's Flow Service.

Create is one POST, update one JSON Patch PATCH with `If-Match: <etag in state>`, delete one
DELETE, refresh one GET. Credentials are write-only: they reach this handler only in `config`
at apply and are never returned in state; a `*_wo_version` change is what sends a new value.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flowservice_provider.protocol.resource import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    Diagnostic,
    DiagnosticsError,
    PlanResult,
    ReadResult,
    ResourceHandler,
    Schema,
    Value,
    error,
    known_str,
)
from flowservice_provider.resources.inventory import Inventory
from flowservice_spec import identity, platform, s3
from flowservice_spec.identity import CREDENTIALS_MISSING

if TYPE_CHECKING:
    from flowservice_provider.resources.context import ConnectionsApi, ResourceContext

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
        Attribute("id", "string", computed=True, description="Connection id."),
        Attribute("name", "string", required=True, description="Connection name."),
        Attribute("description", "string", optional=True, description="Connection description."),
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
        Attribute("etag", "string", computed=True, description=(
            "The connection's etag; unknown in the plan of any update, the new one is stored after every write.")),
        Attribute("state", "string", computed=True, description=(
            "Connection state (`enabled`, …), as last read from Flow Service.")),
        Attribute("sandbox_name", "string", computed=True, description="Sandbox the connection lives in."),
        Attribute("created_at", "string", computed=True, description=(
            "Creation time (RFC 3339, UTC), as last read from Flow Service.")),
        Attribute("updated_at", "string", computed=True, description=(
            "Last update time (RFC 3339, UTC), as last read from Flow Service.")),
    ),
)

# Attributes whose change is a PATCH; everything else is either computed or forces a replacement.
PATCHED = ("name", "description", *(p.attribute for p in PLAIN_PARAMS), *(p.version_attribute for p in SECRET_PARAMS))
REPLACING = ("auth_spec_name",)
# Only Flow Service knows these before a create: unknown in its plan.
SET_BY_SERVER = ("id", "etag", "state", "created_at", "updated_at")
# What a GET shows of the configuration: a change elsewhere in anything else is invisible.
VISIBLE = ("name", "description", "auth_spec_name", *(p.attribute for p in PLAIN_PARAMS))


def _log() -> logging.Logger:
    from flowservice_provider.protocol.log import get_logger

    return get_logger("s3_base_connection")


def _auth(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A read record's ``auth`` and its ``params`` (empty where the record has none)."""
    auth = record.get("auth")
    auth = auth if isinstance(auth, dict) else {}
    params = auth.get("params")
    return auth, params if isinstance(params, dict) else {}


def _present_params(record: dict[str, Any]) -> frozenset[str]:
    return frozenset(_auth(record)[1])


def _rfc3339(epoch_ms: Any) -> str | None:
    if not isinstance(epoch_ms, (int, float)):
        return None
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class S3BaseConnection(ResourceHandler):
    """Maps Terraform's lifecycle onto the connections API, one HTTP call per operation."""

    type_name = identity.S3_BASE_CONNECTION
    schema = SCHEMA

    def __init__(self) -> None:
        self._configured: tuple[ResourceContext, Inventory] | None = None
        #: Connections a refresh of this process found deleted, by name -> id: a plan that creates
        #: one again says it is a re-create (refresh and plan run in the same process).
        self._gone: dict[str, str] = {}

    def configure(self, context: ResourceContext) -> None:
        """ConfigureProvider's outcome: the API and sandbox every later call works with."""
        self._configured = (context, Inventory(context.api))

    def _configuration(self) -> tuple[ResourceContext, Inventory]:
        if self._configured is None:
            raise error("Provider not configured", "ConfigureProvider must succeed before resources are used.")
        return self._configured

    @property
    def inventory(self) -> Inventory:
        return self._configuration()[1]

    @property
    def context(self) -> ResourceContext:
        return self._configuration()[0]

    def _api(self) -> ConnectionsApi:
        return self.context.api()

    # ---- plan time -------------------------------------------------------------------------

    def check(self, config: dict[str, Value]) -> list[Diagnostic]:
        from flowservice_provider.resources.s3_validation import validate_config

        return validate_config(config)

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        planned = dict(proposed)
        if planned.get("auth_spec_name") is None:
            planned["auth_spec_name"] = s3.DEFAULT_AUTH_SPEC_NAME
        planned["connection_spec_id"] = S3_CONNECTION_SPEC_ID
        self._check_versions(prior, config)
        if prior is None:
            for attribute in SET_BY_SERVER:
                planned[attribute] = UNKNOWN
            planned["sandbox_name"] = self.context.sandbox_name
            name = planned.get("name")
            notes = self._existing_named(name, planned.get("auth_spec_name")) if isinstance(name, str) else []
            return PlanResult(planned, diagnostics=notes)
        replace = [(name,) for name in REPLACING if planned.get(name) != prior.get(name)]
        if replace:
            for name in (*SET_BY_SERVER, "sandbox_name"):
                planned[name] = UNKNOWN
            return PlanResult(planned, requires_replace=replace)
        if any(planned.get(name) != prior.get(name) for name in PATCHED):
            planned["etag"] = UNKNOWN
            planned["updated_at"] = UNKNOWN
        return PlanResult(planned)

    def _check_versions(self, prior: dict[str, Value] | None, config: dict[str, Value]) -> None:
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

    # ---- apply time ------------------------------------------------------------------------

    def _existing_named(self, name: str, auth_spec_name: Value) -> list[Diagnostic]:
        """At plan: the sandbox exists, and a connection of the same name is ours to adopt (a warning)
        or someone else's (an error naming it). Costs one list call per plan, shared by every create."""
        found = self._lookup("plan", name)
        adoptable = self._adoptable(found, auth_spec_name)
        if adoptable is not None:
            return [Diagnostic("warning", f"Connection {name!r} already exists and will be adopted", (
                f"{adoptable['id']} in sandbox {self.context.sandbox_name!r} was created by this client (most likely "
                "by an interrupted deploy) but is not in Terraform's state. Apply adopts it: one PATCH sets it to "
                "this configuration instead of creating a duplicate."), ("name",))]
        if found:
            raise self._foreign(name, found)
        return []

    def _lookup(self, operation: str, name: str, *, claim: bool = False) -> list[dict[str, Any]]:
        from flowservice_provider.resources.inventory import DuplicateNameError

        with self._api_errors(f"{operation} (listing the sandbox's connections)"):
            try:
                return self.inventory.claim(name) if claim else self.inventory.named(name)
            except DuplicateNameError as exc:
                raise error("Duplicate connection name", f"{exc}. Connection names must be unique per sandbox.",
                            ("name",)) from None

    def _adoptable(self, found: list[dict[str, Any]], auth_spec_name: Value) -> dict[str, Any] | None:
        """The one connection this client created with the planned auth spec, if that is all there is."""
        if len(found) != 1:
            return None
        item = found[0]
        spec_name = _auth(item)[0].get("specName")
        wanted = auth_spec_name if isinstance(auth_spec_name, str) else s3.DEFAULT_AUTH_SPEC_NAME
        if platform.is_client(item.get("createdClient"), self.context.client_id) and spec_name in (None, wanted):
            return item
        return None

    def _foreign(self, name: str, found: list[dict[str, Any]]) -> DiagnosticsError:
        ids = ", ".join(f"{item.get('id')} (created by {item.get('createdClient') or 'unknown'})" for item in found)
        first = found[0].get("id")
        return error(
            f"A connection named {name!r} already exists in sandbox {self.context.sandbox_name!r}",
            f"Found {ids}; connection names are unique per sandbox, so Terraform will not create another. "
            f"To manage it here, import it: S3BaseConnection(...).import_from({first!r}) in CDKTF, or "
            f"`terraform import <address> {first}`. Otherwise rename this connection.",
            ("name",))

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        name = known_str(planned, "name")
        found = self._lookup("create", name, claim=True)
        if found:
            adoptable = self._adoptable(found, planned.get("auth_spec_name"))
            if adoptable is None:
                raise self._foreign(name, found)
            return self._adopt(adoptable, planned, config)
        params: dict[str, Any] = {}
        for param in (*SECRET_PARAMS, *PLAIN_PARAMS):
            source = config if param.secret else planned
            if source.get(param.attribute) is not None:
                params[param.api_name] = source[param.attribute]
        body: dict[str, Any] = {
            "name": planned["name"],
            "auth": {"specName": planned["auth_spec_name"], "params": params},
            "connectionSpec": {"id": S3_CONNECTION_SPEC_ID, "version": S3_CONNECTION_SPEC_VERSION},
        }
        if planned.get("description") is not None:
            body["description"] = planned["description"]
        with self._api_errors("create"):
            ref = self._api().create_connection(body)
        state = dict(planned)
        state.update(id=ref.id, etag=ref.etag, sandbox_name=self.context.sandbox_name,
                     state=None, created_at=None, updated_at=None)
        return ApplyResult(state)

    def _adopt(self, record: dict[str, Any], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        """Take over a connection an interrupted deploy of this client created: one PATCH sets every
        attribute and credential to this configuration (its credentials cannot be read back)."""
        connection_id, etag = str(record["id"]), str(record.get("etag") or "")
        blank: dict[str, Value] = {attr.name: None for attr in SCHEMA.attributes}
        current = self.state_from_record(record, blank)
        ops = self.patch_ops(current, planned, config, present=_present_params(record))
        _log().warning("adopting connection %s (%r): created by this client, missing from state", connection_id,
                       planned.get("name"))
        with self._api_errors("create", etag):
            ref = self._api().update_connection(connection_id, etag, ops)
        state = dict(planned)
        state.update(id=connection_id, etag=ref.etag, sandbox_name=self.context.sandbox_name,
                     state=None, created_at=None, updated_at=None)
        return ApplyResult(state)

    def read(self, state: dict[str, Value]) -> ReadResult:
        from flowservice_client import NotFoundError

        with self._api_errors("read"):
            try:
                record = self._api().get_connection(known_str(state, "id"))
            except NotFoundError as exc:
                if exc.sandbox_missing:  # not "the connection is gone": nothing may be planned from it
                    raise
                if isinstance(state.get("name"), str):
                    self._gone[str(state["name"])] = known_str(state, "id")
                return ReadResult(None)
        return ReadResult(self.state_from_record(record, state))

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        """Remote values win for what the API shows; versions and secrets stay as configured."""
        auth, params = _auth(record)
        new = dict(prior)
        description = record.get("description")
        if not description and prior.get("description") is None:
            description = None
        new.update(
            id=record.get("id", prior.get("id")),
            name=record.get("name"),
            description=description,
            auth_spec_name=auth.get("specName") or prior.get("auth_spec_name"),
            connection_spec_id=(record.get("connectionSpec") or {}).get("id", S3_CONNECTION_SPEC_ID),
            etag=record.get("etag") or record.get("version"),
            state=record.get("state"),
            sandbox_name=record.get("sandboxName") or self.context.sandbox_name,
            created_at=_rfc3339(record.get("createdAt")),
            updated_at=_rfc3339(record.get("updatedAt")),
        )
        for param in PLAIN_PARAMS:
            new[param.attribute] = params.get(param.api_name) or None
        for param in SECRET_PARAMS:
            new[param.attribute] = None
        if self.invisible_change(prior, new):
            # Something we cannot see changed (credentials rotated elsewhere, most likely): the
            # versions no longer say which credentials the connection holds, so forget them and
            # the plan re-sends the configured ones.
            _log().warning("connection %s changed outside Terraform (etag %s -> %s) with no visible "
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

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        ops = self.patch_ops(prior, planned, config)
        state = dict(planned)
        if not ops:
            state.update(etag=prior["etag"], updated_at=prior.get("updated_at"))
            return ApplyResult(state)
        connection_id, etag = known_str(prior, "id"), known_str(prior, "etag")
        from flowservice_client import PreconditionFailedError

        with self._api_errors("update", etag):
            try:
                ref = self._patch(self._api(), connection_id, etag, ops)
            except PreconditionFailedError as exc:
                if not (exc.maybe_applied and exc.current_etag):
                    raise
                # Record the etag we now know, with the prior values: the next plan then shows only
                # this change again (one secret re-sent, not every credential as after a foreign change).
                failed = self._diagnostic("update", exc, etag)
                failed.state = dict(prior) | {"etag": exc.current_etag}
                raise failed from None
        state.update(id=ref.id or prior["id"], etag=ref.etag, updated_at=None)
        return ApplyResult(state)

    @staticmethod
    def _patch(client: Any, connection_id: str, etag: str, ops: list[dict[str, Any]]) -> Any:
        """PATCH with the etag in state; on a 412, one GET so the error can name the current etag."""
        from flowservice_client import FlowServiceError, PreconditionFailedError

        try:
            return client.update_connection(connection_id, etag, ops)
        except PreconditionFailedError as exc:
            if exc.current_etag is None:
                try:
                    exc.current_etag = client.get_connection(connection_id).get("etag")
                except FlowServiceError:
                    pass
            raise

    @staticmethod
    def patch_ops(prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value],
                  present: frozenset[str] | None = None) -> list[dict[str, Any]]:
        """The JSON Patch that turns the prior connection into the planned one, nothing more.

        ``present`` (adoption) names the secret parameters a read showed: then every configured
        secret is sent, and one the configuration leaves out is removed.
        """
        ops: list[dict[str, Any]] = []

        def put(path: str, old: Value, new: Value) -> None:
            if new is None:
                ops.append({"op": "remove", "path": path})
            else:
                ops.append({"op": "replace" if old is not None else "add", "path": path, "value": new})

        for name in ("name", "description"):
            if planned.get(name) != prior.get(name):
                put(f"/{name}", prior.get(name), planned.get(name))
        for param in PLAIN_PARAMS:
            if planned.get(param.attribute) != prior.get(param.attribute):
                put(f"/auth/params/{param.api_name}", prior.get(param.attribute), planned.get(param.attribute))
        for param in SECRET_PARAMS:
            path = f"/auth/params/{param.api_name}"
            if present is not None:
                had = param.api_name in present
                if config.get(param.attribute) is not None or had:
                    put(path, "present" if had else None, config.get(param.attribute))
            elif planned.get(param.version_attribute) != prior.get(param.version_attribute):
                put(path, prior.get(param.version_attribute), config.get(param.attribute))
        return ops

    def delete(self, state: dict[str, Value]) -> None:
        connection_id = known_str(state, "id")
        with self._api_errors("delete"):
            self._api().delete_connection(connection_id)

    def import_(self, import_id: str) -> dict[str, Value]:
        if not import_id.strip():
            raise error("Empty import id", "Import takes the connection id, e.g. 4cb0c374-d3bb-4557-b139-5712880adc55.")
        state: dict[str, Value] = {attr.name: None for attr in SCHEMA.attributes}
        state["id"] = import_id.strip()
        return state

    # ---- errors ----------------------------------------------------------------------------

    @contextmanager
    def _api_errors(self, operation: str, etag: str | None = None) -> Iterator[None]:
        """Any failure inside becomes a diagnostic in the API's words; diagnostics pass through."""
        try:
            yield
        except DiagnosticsError:
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a diagnostic with the API's words
            raise self._diagnostic(operation, exc, etag) from None

    @staticmethod
    def _diagnostic(operation: str, exc: Exception, etag: str | None = None) -> DiagnosticsError:
        from flowservice_client import AmbiguousCreateError, FlowServiceError, PreconditionFailedError

        if isinstance(exc, PreconditionFailedError) and exc.maybe_applied:
            current = exc.current_etag or "unknown"
            return error(
                "The update may have been applied, but its answer was lost",
                f"PATCH sent If-Match {etag}; the answer never arrived, the retry was refused (412) and the "
                f"connection's etag is now {current}, last written by another client or with other values, so "
                "Terraform cannot tell whose change it holds. Nothing else was changed. Deploy again: the refresh "
                "reads the current values and the plan shows what is left to change.",
                ("etag",),
            )
        if isinstance(exc, PreconditionFailedError):
            current = exc.current_etag or "unknown"
            return error(
                "The connection changed in Flow Service since Terraform last read it",
                f"PATCH sent If-Match {etag}, but the connection's etag is now {current} (412, code 1404). "
                "Nothing was changed. Run `terraform apply -refresh-only` (or `cdktf deploy` again, which "
                "refreshes first) to adopt the current etag, review the plan, then apply.",
                ("etag",),
            )
        if isinstance(exc, AmbiguousCreateError):
            return error(f"Could not tell whether the {operation} succeeded", str(exc))
        if isinstance(exc, FlowServiceError):
            return error(f"{exc.service} {operation} failed", str(exc))
        return error(f"Flow Service {operation} failed", f"{type(exc).__name__}: {exc}")
