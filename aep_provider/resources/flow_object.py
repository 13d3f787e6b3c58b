"""What every Flow Service object resource shares: one POST to create, one GET to refresh, one JSON
Patch with ``If-Match: <etag in state>`` to update, one DELETE; the etag stored after every write;
drift (deleted, edited, etag moved); import; adoption of an object this state began to create but
never recorded (and of nothing else); and errors in the API's words.

A kind (base connection, source connection, target connection, dataflow) keeps only what is its
own: its schema, the body of its create, how a read record maps to state, the patch of a change,
and which attributes replace it. The sandbox is listed once per process and kind (the
:class:`Inventory`); names are unique per sandbox and kind, and the state's ownership journal
(:mod:`aep_provider.resources.ownership`) tells an object this state began to create but never
recorded (adopted) from any other of that name (refused, with who made it, when, and the ways out).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from aep_provider.protocol.resource import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    AttrPath,
    Diagnostic,
    DiagnosticsError,
    PlanResult,
    ReadResult,
    ResourceHandler,
    Value,
    error,
    known_str,
)
from aep_provider.resources.inventory import Inventory
from aep_provider.resources.ownership import Claim
from aep_spec import platform
from aep_spec.rules import RuleViolation

if TYPE_CHECKING:
    from aep_client import Kind, ObjectRef
    from aep_provider.resources.context import KindApi, ResourceContext

#: Computed attributes only Flow Service knows before a create (every kind has them).
SET_BY_SERVER = ("id", "etag", "state", "created_at", "updated_at")
Ops = list[dict[str, Any]]


def log() -> logging.Logger:
    from aep_provider.protocol.log import get_logger

    return get_logger("resources")


def rfc3339(epoch_ms: Any) -> str | None:
    """Flow Service's epoch milliseconds as RFC 3339 UTC, the form Terraform users read."""
    if not isinstance(epoch_ms, (int, float)):
        return None
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def named(noun: str) -> tuple[Attribute, ...]:
    """The attributes every kind opens with: its id, name and description."""
    noun = noun[:1].upper() + noun[1:]  # "XDM schema", not capitalize()'s "Xdm schema"
    return (
        Attribute("id", "string", computed=True, description=f"{noun} id."),
        Attribute("name", "string", required=True, description=f"{noun} name (unique per sandbox)."),
        Attribute("description", "string", optional=True, description=f"{noun} description."),
    )


def tracked(noun: str) -> tuple[Attribute, ...]:
    """The attributes every kind closes with: what Flow Service says of the object after a write or a read."""
    return (
        Attribute("etag", "string", computed=True, description=(
            f"The {noun}'s etag; unknown in the plan of any update, the new one is stored after every write.")),
        Attribute("state", "string", computed=True, description=(
            f"The {noun}'s state (`enabled`, …), as last read from AEP (none for some kinds).")),
        Attribute("created_at", "string", computed=True, description=(
            "Creation time (RFC 3339, UTC), as last read from AEP.")),
        Attribute("updated_at", "string", computed=True, description=(
            "Last update time (RFC 3339, UTC), as last read from AEP.")),
    )


def as_dict(value: Any) -> dict[str, Any]:
    """A record member that should be an object, or an empty one (records are read defensively)."""
    return value if isinstance(value, dict) else {}


def attribute_path(field: str) -> AttrPath:
    """A violation's field as the path Terraform points the error at: ``fields.orderId`` is that key
    of the map; ``mappings[2].source`` is the list (Terraform cannot point inside a list's element:
    the message names it)."""
    head, _, key = field.partition(".")
    if "[" in head:
        return (head.partition("[")[0],)
    return (head, key) if key else (head,)


def rule_diagnostics(violations: Iterable[RuleViolation]) -> list[Diagnostic]:
    """Broken rules as plan-time errors, each pointing Terraform at its attribute and showing the
    value declared (never a secret: its check keeps it hidden)."""
    return [Diagnostic("error", f"Invalid {v.field}", v.described(), attribute_path(v.field)) for v in violations]


def put(ops: Ops, path: str, old: Value, new: Value) -> None:
    """Append the JSON Patch operation that turns ``old`` into ``new`` at ``path``."""
    if new is None:
        ops.append({"op": "remove", "path": path})
    else:
        ops.append({"op": "replace" if old is not None else "add", "path": path, "value": new})


class FlowObject(ResourceHandler):
    """The lifecycle of one kind of Flow Service object, one HTTP call per operation."""

    #: The collection the client talks to (aep_client.kinds).
    kind: ClassVar[Kind]
    #: Properties that list this kind's objects of the sandbox (the inventory's filter).
    listing: ClassVar[tuple[str, ...]] = ()
    #: Attributes whose change is a PATCH (or an action); the etag is unknown in that plan.
    patched: ClassVar[tuple[str, ...]] = ("name", "description")
    #: Attributes whose change replaces the object (Flow Service does not apply them in place).
    replacing: ClassVar[tuple[str, ...]] = ()
    #: The member of a create body and of a patch that holds the ``name`` attribute (a schema's
    #: ``title``); names are unique per sandbox (the tenant, for the Schema Registry) and kind.
    name_field: ClassVar[str] = "name"

    def __init__(self) -> None:
        self._configured: tuple[ResourceContext, Inventory] | None = None
        #: Objects a refresh of this process found deleted, by name -> id: a plan that creates one
        #: again says it is a re-create (refresh and plan run in the same process).
        self._gone: dict[str, str] = {}

    @property
    def noun(self) -> str:
        return self.kind.noun

    def configure(self, context: ResourceContext) -> None:
        """ConfigureProvider's outcome: the API and sandbox every later call works with."""
        self._configured = (context, Inventory(lambda: self._api().list_objects(
            self.kind, self.listing, limit=platform.LIST_PAGE_MAX)))

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

    def _api(self) -> KindApi:
        """The service this kind lives in (Flow Service; the other kinds override it)."""
        return self.context.api()

    # ---- what a kind says about itself -------------------------------------------------------

    #: Optional+computed attributes and the value they take when the configuration leaves them out
    #: (Terraform proposes them unknown for a create, and the prior value for an update).
    defaulted: ClassVar[dict[str, Value]] = {}
    #: Computed attributes with one value for the kind (its spec id).
    fixed: ClassVar[dict[str, Value]] = {}

    def defaults(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        """Fill what the configuration leaves out: :attr:`defaulted`, :attr:`fixed`, and what a kind
        decides from other values (override, calling this first)."""
        for name, value in self.defaulted.items():
            if config.get(name) is None:
                planned[name] = value
        planned.update(self.fixed)

    def check_plan(self, prior: dict[str, Value] | None, config: dict[str, Value]) -> None:
        """Refuse, with diagnostics, a plan whose apply could not succeed (e.g. missing credentials)."""

    def body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        """The create request, but for the name and description every kind sends alike."""
        raise NotImplementedError

    def create_body(self, planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Any]:
        body: dict[str, Any] = {self.name_field: planned["name"], **self.body(planned, config)}
        if planned.get("description") is not None:
            body["description"] = planned["description"]
        return body

    def state_from_record(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        """Remote values win for what the API shows; what it cannot show stays as in ``prior``."""
        raise NotImplementedError

    def patch_ops(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value],
                  adopting: dict[str, Any] | None = None) -> Ops:
        """The JSON Patch that turns ``prior`` into ``planned``, nothing more. ``adopting`` is the
        record of an object being adopted (a kind with secrets re-sends them then)."""
        ops: Ops = []
        for name, member in (("name", self.name_field), ("description", "description")):
            if planned.get(name) != prior.get(name):
                put(ops, f"/{member}", prior.get(name), planned.get(name))
        return ops

    def mismatch(self, record: dict[str, Any], planned: dict[str, Value]) -> str | None:
        """Why an object of ours found by name cannot be adopted as ``planned`` (None: it can)."""
        current = self.state_from_record(record, {attr.name: None for attr in self.schema.attributes})
        differing = [name for name in self.replacing if planned.get(name) is not UNKNOWN
                     and current.get(name) != planned.get(name)]
        if differing:
            return f"its {', '.join(differing)} differ from this configuration and cannot be changed in place"
        return None

    def sent(self, state: dict[str, Value], body: dict[str, Any]) -> dict[str, Value]:
        """State after a create, completed with values the provider chose itself and sent (a start
        time), so the next refresh does not report them as changed outside Terraform."""
        return state

    def after_write(self, state: dict[str, Value], prior: dict[str, Value] | None,
                    planned: dict[str, Value]) -> dict[str, Value]:
        """Calls that follow a create or update for this kind (a dataflow's enable/disable)."""
        return state

    def common(self, record: dict[str, Any], prior: dict[str, Value]) -> dict[str, Value]:
        """The attributes every kind reads the same way from a record."""
        new = dict(prior)
        description = record.get("description")
        if not description and prior.get("description") is None:
            description = None
        new.update(
            id=record.get("id", prior.get("id")),
            name=record.get("name"),
            description=description,
            etag=record.get("etag") or record.get("version"),
            state=record.get("state"),
            created_at=rfc3339(record.get("createdAt")),
            updated_at=rfc3339(record.get("updatedAt")),
        )
        return new

    # ---- plan time -------------------------------------------------------------------------

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value], config: dict[str, Value]) -> PlanResult:
        planned = dict(proposed)
        self.defaults(planned, config)
        self.check_plan(prior, config)
        if prior is None:
            for attribute in SET_BY_SERVER:
                planned[attribute] = UNKNOWN
            self.unknown_on_create(planned, config)
            name = planned.get("name")
            notes = self._existing_named(name, planned) if isinstance(name, str) else []
            return PlanResult(planned, diagnostics=notes)
        replace = [(name,) for name in self.replacing if planned.get(name) != prior.get(name)]
        if replace:
            for name in SET_BY_SERVER:
                planned[name] = UNKNOWN
            self.unknown_on_create(planned, config)
            if isinstance(prior.get("id"), str):  # the create half of this replacement is planned next
                self.inventory.leaving(str(prior["id"]))
            return PlanResult(planned, requires_replace=replace)
        if any(planned.get(name) != prior.get(name) for name in self.patched):
            planned["etag"] = UNKNOWN
            planned["updated_at"] = UNKNOWN
        return PlanResult(planned)

    def unknown_on_create(self, planned: dict[str, Value], config: dict[str, Value]) -> None:
        """Computed attributes of this kind that a create (or a replacement) sets, besides the common ones."""

    def _existing_named(self, name: str, planned: dict[str, Value]) -> list[Diagnostic]:
        """At plan: an object of the same name is this state's to adopt (a warning) or not (an error
        naming it). Costs one list call per plan and kind, shared by every create."""
        found = self._lookup("plan", name)
        if not found:
            return []
        adoptable, why = self._adoptable(found, planned)
        if adoptable is None:
            raise self._foreign(name, found, why)
        claim = self._claim(name)
        began = rfc3339(claim.began_ms) if claim else None
        return [Diagnostic("warning", f"The {self.noun} {name!r} already exists and will be adopted", (
            f"{adoptable['id']} in sandbox {self.context.sandbox_name!r} is this state's: its journal records that "
            f"this state began to create it ({began}; most likely an interrupted deploy), but Terraform's state "
            "does not hold it. Apply adopts it instead of creating a duplicate: at most one PATCH sets it to "
            "this configuration."), ("name",))]

    def _lookup(self, operation: str, name: str, *, claim: bool = False) -> list[dict[str, Any]]:
        from aep_provider.resources.inventory import DuplicateNameError

        with self._api_errors(f"{operation} (listing the sandbox's {self.noun}s)"):
            try:
                return self.inventory.claim(name) if claim else self.inventory.named(name)
            except DuplicateNameError as exc:
                raise error(f"Duplicate {self.noun} name", f"{exc}. Names must be unique per sandbox and kind.",
                            ("name",)) from None

    @property
    def journal_kind(self) -> str:
        """This kind's folder in the ownership journal (its collection: ``connections``, ``flows``...)."""
        return self.kind.path.strip("/")

    def _claim(self, name: str) -> Claim | None:
        try:
            return self.context.journal.claim(self.journal_kind, self.context.sandbox_name, name)
        except Exception as exc:  # noqa: BLE001 - unreadable evidence refuses adoption, with the reason
            raise error("The ownership journal cannot be read", (
                f"{self.context.journal.store.describe()}: {type(exc).__name__}: {exc}. It records which objects this "
                "state began to create; without it no object can be adopted. Check ownership_journal "
                "(AEP_OWNERSHIP_JOURNAL) and its credentials, then run the command again.")) from None

    def _adoptable(self, found: list[dict[str, Any]], planned: dict[str, Value]) -> tuple[dict[str, Any] | None, str]:
        """The one object this state began to create (or holds) that can become ``planned``, or why
        there is none: this client made it, and the state's journal claims it."""
        if len(found) != 1:
            return None, ""
        item = found[0]
        if not platform.is_client(item.get("createdClient"), self.context.client_id):
            return None, ""
        claim = self._claim(str(item.get("name")))
        if claim is None or not claim.admits(item):
            return None, ""
        why = self.mismatch(item, planned)
        return (None, why) if why else (item, "")

    def _foreign(self, name: str, found: list[dict[str, Any]], why: str = "") -> DiagnosticsError:
        made = ", ".join(f"{item.get('id')} (created by {item.get('createdClient') or 'an unknown client'} "
                         f"at {rfc3339(item.get('createdAt')) or 'an unknown time'})" for item in found)
        first = found[0].get("id")
        reason = (f"This state began to create it, but {why}: delete it in AEP, or import it and change the "
                  "configuration to match. " if why else
                  "This state did not create it (its ownership journal has no record of it), so it belongs to "
                  "someone else: another repository or state, or a person. ")
        return error(
            f"{'An' if self.noun.startswith('XDM') else 'A'} {self.noun} named {name!r} already exists in sandbox "
            f"{self.context.sandbox_name!r}",
            f"Found {made}. Names are unique per sandbox and kind, so Terraform will not create another, and "
            f"it adopts only what this state began to create. {reason}Two ways out: to manage that "
            f"{self.noun} here (and stop managing it elsewhere), import it: `.import_from({first!r})` on the "
            f"construct in CDKTF, or `terraform import <address> {first}`; or give this {self.noun} another name.",
            ("name",))

    # ---- apply time ------------------------------------------------------------------------

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        name = known_str(planned, "name")
        found = self._lookup("create", name, claim=True)
        if found:
            adoptable, why = self._adoptable(found, planned)
            if adoptable is None:
                raise self._foreign(name, found, why)
            return ApplyResult(self._adopt(adoptable, planned, config))
        with self._journal_errors("create"):
            claim = self.context.journal.begin(self.journal_kind, self.context.sandbox_name, name,
                                               self.context.client_id)
        body = self.stamped(self.create_body(planned, config), claim)
        with self._api_errors("create"), self._released_unless_sent(name):
            ref = self._api().create(self.kind, body)
        state = self.sent(self._written(planned, ref), body)
        with self._api_errors("create", ref.etag, state):
            self._hold(name, ref.id)
            return ApplyResult(self.after_write(state, None, planned))

    def stamped(self, body: dict[str, Any], claim: Claim) -> dict[str, Any]:
        """The create body marked with the claim, for a kind whose objects can carry it (a dataset's
        private tag): a lost create is then found by exactly that mark."""
        return body

    def _hold(self, name: str, object_id: str) -> None:
        """This state holds ``object_id`` now: the journal says so (one small write)."""
        with self._journal_errors("record"):
            self.context.journal.hold(self.journal_kind, self.context.sandbox_name, name, self.context.client_id,
                                      object_id)

    @contextmanager
    def _released_unless_sent(self, name: str) -> Iterator[None]:
        """A create Flow Service refused outright (a 4xx) made nothing: its claim goes. Any other
        failure may have made the object (a lost answer, a 5xx after the commit): the claim stays,
        so the next deploy adopts it."""
        from aep_client import FlowServiceError, OutcomeUnknownError

        try:
            yield
        except FlowServiceError as exc:
            if not isinstance(exc, OutcomeUnknownError) and exc.status is not None and 400 <= exc.status < 500:
                self.context.journal.release(self.journal_kind, self.context.sandbox_name, name)
            raise

    @contextmanager
    def _journal_errors(self, operation: str) -> Iterator[None]:
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - the journal's own failure, said as such
            raise error(f"The ownership journal could not be written ({operation})", (
                f"{self.context.journal.store.describe()}: {type(exc).__name__}: {exc}. Nothing was created without "
                "a record of it. Check ownership_journal (AEP_OWNERSHIP_JOURNAL) and its credentials, then run "
                "the command again.")) from None

    def _written(self, planned: dict[str, Value], ref: ObjectRef) -> dict[str, Value]:
        """State after a write: the plan's values, the new id and etag; what the plan left unknown and
        the write does not answer (state, timestamps) is read by the next refresh, not by a GET now."""
        state = dict(planned)
        state.update(id=ref.id, etag=ref.etag)
        for name, value in state.items():
            if value is UNKNOWN:
                state[name] = None
        return state

    def _adopt(self, record: dict[str, Any], planned: dict[str, Value], config: dict[str, Value]) -> dict[str, Value]:
        """Take over an object an interrupted deploy of this client created: a PATCH sets what differs
        from this configuration (none at all when nothing does)."""
        object_id, etag = str(record["id"]), str(record.get("etag") or record.get("version") or "")
        current = self.state_from_record(record, {attr.name: None for attr in self.schema.attributes})
        ops = self.patch_ops(current, planned, config, adopting=record)
        log().warning("adopting %s %s (%r): created by this client, missing from state", self.noun, object_id,
                      planned.get("name"))
        # What the plan left unknown is what the object already holds (its start time, its state...).
        state = {name: current.get(name) if value is UNKNOWN else value for name, value in planned.items()}
        state.update(id=object_id, etag=etag)
        if ops:
            with self._api_errors("create", etag):
                state["etag"] = self._api().update(self.kind, object_id, etag, ops).etag
            state["updated_at"] = None
        from aep_client import ObjectRef

        state = self._written(state, ObjectRef(object_id, str(state["etag"])))
        with self._api_errors("create", str(state["etag"]), state):
            self._hold(known_str(planned, "name"), object_id)
            return self.after_write(state, current, planned)

    def read(self, state: dict[str, Value]) -> ReadResult:
        from aep_client import NotFoundError

        with self._api_errors("read"):
            try:
                record = self._api().get(self.kind, known_str(state, "id"))
            except NotFoundError as exc:
                if exc.sandbox_missing:  # not "the object is gone": nothing may be planned from it
                    raise
                if isinstance(state.get("name"), str):
                    self._gone[str(state["name"])] = known_str(state, "id")
                return ReadResult(None)
        new = self.state_from_record(record, state)
        if state.get("name") is None and isinstance(new.get("name"), str):  # just imported: this state holds it
            self._hold(str(new["name"]), known_str(new, "id"))
        return ReadResult(new)

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        ops = self.patch_ops(prior, planned, config)
        state = dict(planned)
        if not ops:
            state.update(etag=prior["etag"], updated_at=prior.get("updated_at"), state=prior.get("state"))
        else:
            object_id, etag = known_str(prior, "id"), known_str(prior, "etag")
            from aep_client import PreconditionFailedError

            with self._api_errors("update", etag):
                try:
                    ref = self._patch(object_id, etag, ops)
                except PreconditionFailedError as exc:
                    if not (exc.maybe_applied and exc.current_etag):
                        raise
                    # Record the etag we now know, with the prior values: the next plan then shows
                    # only this change again.
                    failed = self._diagnostic("update", exc, etag)
                    failed.state = dict(prior) | {"etag": exc.current_etag}
                    raise failed from None
            state = self._written(state, ref)
            if prior.get("name") != planned.get("name"):  # the claim follows the object's new name
                self._hold(known_str(planned, "name"), object_id)
                with self._journal_errors("record"):
                    self.context.journal.release(self.journal_kind, self.context.sandbox_name,
                                                 known_str(prior, "name"))
        with self._api_errors("update", str(state["etag"]), state):
            return ApplyResult(self.after_write(state, prior, planned))

    def _patch(self, object_id: str, etag: str, ops: Ops) -> ObjectRef:
        """PATCH with the etag in state; on a 412, one GET so the error can name the current etag."""
        from aep_client import FlowServiceError, PreconditionFailedError

        api = self._api()
        try:
            ref: ObjectRef = api.update(self.kind, object_id, etag, ops)
            return ref
        except PreconditionFailedError as exc:
            if exc.current_etag is None:
                try:
                    exc.current_etag = api.get(self.kind, object_id).get("etag")
                except FlowServiceError:
                    pass
            raise

    def delete(self, state: dict[str, Value]) -> None:
        object_id = known_str(state, "id")
        with self._api_errors("delete"):
            self._api().delete(self.kind, object_id)
        self.inventory.leaving(object_id)
        if isinstance(state.get("name"), str):
            with self._journal_errors("record"):
                self.context.journal.release(self.journal_kind, self.context.sandbox_name, str(state["name"]))

    def import_(self, import_id: str) -> dict[str, Value]:
        if not import_id.strip():
            raise error("Empty import id",
                        f"Import takes the {self.noun} id, e.g. 4cb0c374-d3bb-4557-b139-5712880adc55.")
        state: dict[str, Value] = {attr.name: None for attr in self.schema.attributes}
        state["id"] = import_id.strip()
        return state

    # ---- errors ----------------------------------------------------------------------------

    @contextmanager
    def _api_errors(self, operation: str, etag: str | None = None,
                    written: dict[str, Value] | None = None) -> Iterator[None]:
        """Any failure inside becomes a diagnostic in the API's words; diagnostics pass through.
        ``written`` is the state of an object already written when the failure came: it is recorded."""
        try:
            yield
        except DiagnosticsError as exc:
            if written is not None and exc.state is None:
                exc.state = written
            raise
        except Exception as exc:  # noqa: BLE001 - turned into a diagnostic with the API's words
            failed = self._diagnostic(operation, exc, etag)
            failed.state = written
            raise failed from None

    def _diagnostic(self, operation: str, exc: Exception, etag: str | None = None) -> DiagnosticsError:
        from aep_client import AmbiguousCreateError, PreconditionFailedError

        if isinstance(exc, PreconditionFailedError) and exc.maybe_applied:
            current = exc.current_etag or "unknown"
            return error(
                "The update may have been applied, but its answer was lost",
                f"PATCH sent If-Match {etag}; the answer never arrived, the retry was refused (412) and the "
                f"{self.noun}'s etag is now {current}, last written by another client or with other values, so "
                "Terraform cannot tell whose change it holds. Nothing else was changed. Deploy again: the refresh "
                "reads the current values and the plan shows what is left to change.",
                ("etag",),
            )
        if isinstance(exc, PreconditionFailedError):
            current = exc.current_etag or "unknown"
            return error(
                f"The {self.noun} changed in Flow Service since Terraform last read it",
                f"PATCH sent If-Match {etag}, but the {self.noun}'s etag is now {current} (412, code 1404). "
                "Nothing was changed. Run `terraform apply -refresh-only` (or `cdktf deploy` again, which "
                "refreshes first) to adopt the current etag, review the plan, then apply.",
                ("etag",),
            )
        if isinstance(exc, AmbiguousCreateError):
            return error(f"Could not tell whether the {operation} succeeded", str(exc))
        return api_failure(operation, exc)


def api_failure(operation: str, exc: Exception) -> DiagnosticsError:
    """A failed call as a diagnostic in the API's words: which service, status, code, request id.

    A failure of the endpoint itself (unreachable, no API at its path) is said without the object
    or the operation: every object meets the same one, and a report shows it once, with a count.
    """
    from aep_client import EndpointError, FlowServiceError

    if isinstance(exc, EndpointError):
        return error(exc.headline, exc.cause)
    if isinstance(exc, FlowServiceError):
        return error(f"{exc.service} {operation} failed", str(exc))
    return error(f"Flow Service {operation} failed", f"{type(exc).__name__}: {exc}")

