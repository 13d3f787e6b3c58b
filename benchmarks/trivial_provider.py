"""A trivial provider on our protocol layer (`flowservice_provider/protocol`), with no API behind it.

``benchtrivial_item`` has the shape of a fleet connection's inputs (name, description, bucket,
folder, a session token version) and a computed ``id``; create makes an id, read answers the
state it is given, update answers the plan, delete does nothing. What Terraform spends on it is
Terraform plus our gRPC/msgpack protocol layer, without an API client, an API or our resource
code: beside ``terraform_data`` (no plugin at all) and our real provider, it tells the three
shares apart.

Run by Terraform through a launcher in a filesystem mirror (:func:`install`), as the project's
own provider is; each process writes its figures when ``TF_PROVIDER_STATS_DIR`` is set, as ours does.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from flowservice_provider.protocol.resource import (
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


class Item(ResourceHandler):
    type_name = RESOURCE
    schema = Schema(attributes=(
        Attribute("id", "string", computed=True),
        Attribute("name", "string", required=True),
        Attribute("description", "string", optional=True),
        Attribute("bucket_name", "string", optional=True),
        Attribute("folder_path", "string", optional=True),
        Attribute("token_version", "number", optional=True),
    ))

    def plan(self, prior: dict[str, Value] | None, proposed: dict[str, Value],
             config: dict[str, Value]) -> PlanResult:
        planned = dict(proposed)
        if prior is None:
            planned["id"] = UNKNOWN
        return PlanResult(planned)

    def create(self, planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        state = dict(planned)
        state["id"] = hashlib.sha1(str(planned["name"]).encode(), usedforsecurity=False).hexdigest()[:24]
        return ApplyResult(state)

    def read(self, state: dict[str, Value]) -> ReadResult:
        return ReadResult(dict(state))

    def update(self, prior: dict[str, Value], planned: dict[str, Value], config: dict[str, Value]) -> ApplyResult:
        return ApplyResult(dict(planned))

    def delete(self, state: dict[str, Value]) -> None:
        return None


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
    from flowservice_provider.protocol.plugin import serve

    serve(TrivialProvider())


if __name__ == "__main__":
    main()
