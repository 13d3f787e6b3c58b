"""A trivial provider on our protocol layer (`aep_provider/protocol`), with no API behind it.

``benchtrivial_item`` has the schema of our S3 base connection (the same attributes, kinds and
flags: write-only credentials with their versions, the computed id, etag, state and times), so
its state per object is the connection's size; create makes up the computed values, read answers
the state it is given, update answers the plan (a new etag and time), delete does nothing. What
Terraform spends on it is Terraform plus our gRPC/msgpack protocol layer, without an API client,
an API or our resource code: beside ``terraform_data`` (no plugin at all) and our real provider,
it tells the three shares apart.

Run by Terraform through a launcher in a filesystem mirror (:func:`install`), as the project's
own provider is (cold: no warm server); each process writes its figures when
``TF_PROVIDER_STATS_DIR`` is set, as ours does.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

from aep_provider.protocol.resource import (
    UNKNOWN,
    ApplyResult,
    Attribute,
    PlanResult,
    ProviderHandler,
    ReadResult,
    ResourceHandler,
    Schema,
    Value,
)

HOST = "terraform.local"
NAMESPACE = "bench"
TYPE = "benchtrivial"
SOURCE = f"{HOST}/{NAMESPACE}/{TYPE}"
VERSION = "0.0.1"
RESOURCE = f"{TYPE}_item"


def _secret(name: str) -> tuple[Attribute, Attribute]:
    return (Attribute(name, "string", optional=True, sensitive=True, write_only=True),
            Attribute(f"{name}_version", "string", optional=True))


#: Set by the server after a create or an update (unknown in their plans).
COMPUTED = ("id", "auth_spec_name", "connection_spec_id", "sandbox_name", "etag", "state", "created_at", "updated_at")


class Item(ResourceHandler):
    type_name = RESOURCE
    schema = Schema(version=1, attributes=(
        Attribute("id", "string", computed=True),
        Attribute("name", "string", required=True),
        Attribute("description", "string", optional=True),
        Attribute("auth_spec_name", "string", optional=True, computed=True),
        Attribute("bucket_name", "string", optional=True),
        Attribute("folder_path", "string", optional=True),
        Attribute("service_url", "string", optional=True),
        *_secret("access_key_wo"),
        *_secret("secret_key_wo"),
        *_secret("session_token_wo"),
        Attribute("connection_spec_id", "string", computed=True),
        Attribute("sandbox_name", "string", computed=True),
        Attribute("etag", "string", computed=True),
        Attribute("state", "string", computed=True),
        Attribute("created_at", "string", computed=True),
        Attribute("updated_at", "string", computed=True),
    ))

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value],
             config: dict[str, Value]) -> PlanResult:
        planned = dict(proposed)
        if prior is None:
            planned.update({name: UNKNOWN for name in COMPUTED if proposed.get(name) is None})
        elif any(proposed[name] != prior[name] for name in proposed if name not in COMPUTED):
            planned.update(etag=UNKNOWN, updated_at=UNKNOWN)
        return PlanResult(planned)

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        made = _made_up(str(planned["name"]))
        state = dict(planned, **made)
        if planned.get("auth_spec_name") is not None:
            state["auth_spec_name"] = planned["auth_spec_name"]
        return ApplyResult(state)

    def read(self, state: dict[str, Value]) -> ReadResult:
        return ReadResult(dict(state))

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        made = _made_up(f"{planned['name']}/{planned['etag']}")
        return ApplyResult(dict(planned, etag=made["etag"], updated_at=made["updated_at"]))

    def delete(self, state: dict[str, Value]) -> None:
        return None


def _made_up(seed: str) -> dict[str, Value]:
    """Computed values of the length Flow Service gives them (a uuid id and etag, RFC 3339 times)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    uid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {"id": uid, "auth_spec_name": "Access Key", "connection_spec_id": "ecadc60c-7455-4d87-84dc-2a0e293d997b",
            "sandbox_name": "prod", "etag": f'"{digest[32:40]}-0000-0200-0000-{digest[40:52]}"', "state": "enabled",
            "created_at": now, "updated_at": now}


class TrivialProvider(ProviderHandler):
    type_name = TYPE

    def resources(self) -> dict[str, ResourceHandler]:
        return {RESOURCE: Item()}


def launcher_text(python: str = sys.executable) -> str:
    """The provider's executable: this interpreter running :func:`main`, no shell in between."""
    return f"#!{python}\nfrom benchmarks.trivial_provider import main\n\nmain()\n"


def install(out: Path, platform: str) -> Path:
    """A filesystem mirror holding the launcher, and a CLI config that uses it; the config's path."""
    mirror = out / "mirror"
    folder = mirror / HOST / NAMESPACE / TYPE / VERSION / platform
    folder.mkdir(parents=True, exist_ok=True)
    launcher = folder / f"terraform-provider-{TYPE}_v{VERSION}"
    launcher.write_text(launcher_text())
    launcher.chmod(0o755)
    config = out / "cli.tfrc"
    config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["{SOURCE}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{SOURCE}"]\n  }}\n'
        "}\ndisable_checkpoint = true\n")
    return config


def main() -> None:
    from aep_provider.protocol.plugin import serve

    serve(TrivialProvider())


if __name__ == "__main__":
    main()
