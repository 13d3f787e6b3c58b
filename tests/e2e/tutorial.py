"""The README's tutorial as one plain-HCL configuration (no CDKTF), and how the end-to-end tests that
run it look at both sides: what Terraform recorded, and what the local AEP's four services hold.

The configuration: an S3 base connection to the local S3 API's `acme-orders` bucket, a source
connection on its orders folder, an XDM schema with one field per column, a dataset on it, a
target connection to that dataset, a mapping set from the columns to the schema's `paths`, and a
dataflow using the mapping set's `version`. :class:`Tutorial` writes it with the knobs each step
of a test turns (fields, mapping lines, the dataset and its deletion protection).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import requests

from aep_iac.project import ROOT
from aep_local.testing import LocalAep
from aep_spec import xdm
from tests.conftest import FlowApi, provider_env
from tests.e2e.test_plain_terraform import terraform as run

#: Where the local S3 API keeps the sample files the dataflow reads (the bucket `acme-orders`).
SAMPLES = ROOT / "aep_local" / "seed" / "s3" / "acme-orders" / "exports" / "orders"
S3_KEYS = {"TF_VAR_s3_access_key": "AKIATUTORIALCANARY01", "TF_VAR_s3_secret_key": "tutorial-s3-secret-CANARY-01"}
FIELDS = {"orderId": "string", "customerId": "string", "total": "number", "currency": "string",
          "orderedAt": "date-time"}
#: (column or constant, field, source type) per mapping line.
LINES = (("order_id", "orderId", "ATTRIBUTE"), ("customer_id", "customerId", "ATTRIBUTE"),
         ("total", "total", "ATTRIBUTE"), ("currency", "currency", "ATTRIBUTE"),
         ("ordered_at", "orderedAt", "ATTRIBUTE"))
#: Every managed resource of the tutorial, in the tutorial's order.
TYPES = ("aep_s3_base_connection", "aep_source_connection", "aep_xdm_schema", "aep_dataset",
         "aep_target_connection", "aep_mapping_set", "aep_dataflow")
WRITES = ("POST", "PATCH", "PUT", "DELETE")
FLOW_COLLECTIONS = {"aep_s3_base_connection": "/connections", "aep_source_connection": "/sourceConnections",
                    "aep_target_connection": "/targetConnections", "aep_dataflow": "/flows"}


#: What every configuration of these tests opens with: the provider from the project's mirror.
PREAMBLE = """terraform {
  required_providers {
    aep = { source = "terraform.local/aep/aep", version = "0.2.0" }
  }
}

provider "aep" {}
"""


def hcl_string(value: str) -> str:
    return json.dumps(value)


@dataclass(frozen=True)
class Tutorial:
    """The configuration's knobs; ``hcl()`` is its text."""

    suffix: str = "tutorial"
    fields: Mapping[str, str] = field(default_factory=lambda: dict(FIELDS))
    #: (source, destination, source type); a destination without a dot names a field of the schema.
    lines: tuple[tuple[str, str, str], ...] = LINES
    dataset: bool = True
    deletion_protection: bool | None = None
    sample_check: bool = True

    def but(self, **changes: Any) -> Tutorial:
        return replace(self, **changes)

    @property
    def names(self) -> dict[str, str]:
        """Each resource type's object name (a schema's title)."""
        return {kind: f"Orders {noun} ({self.suffix})" for kind, noun in zip(TYPES, (
            "bucket", "files", "schema", "dataset", "dataset target", "columns", "flow"), strict=True)}

    def hcl(self) -> str:
        names = {kind: hcl_string(name) for kind, name in self.names.items()}
        fields = "\n".join(f"    {hcl_string(name)} = {hcl_string(kind)}" for name, kind in self.fields.items())
        lines = "\n".join(
            f"    {{ source = {hcl_string(source)}, destination = "
            f"{hcl_string(dest) if '.' in dest else f'aep_xdm_schema.orders.paths[{hcl_string(dest)}]'}, "
            f"source_type = {hcl_string(kind)} }}," for source, dest, kind in self.lines)
        sample = ("  sample_connection_id = aep_s3_base_connection.orders.id\n"
                  "  sample_file          = \"/acme-orders/exports/orders/orders-2024-01.csv\"\n"
                  if self.sample_check else "")
        protection = ("" if self.deletion_protection is None
                      else f"  deletion_protection = {str(self.deletion_protection).lower()}\n")
        text = PREAMBLE + f"""
variable "s3_access_key" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

variable "s3_secret_key" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

resource "aep_s3_base_connection" "orders" {{
  name                  = {names["aep_s3_base_connection"]}
  bucket_name           = "acme-orders"
  folder_path           = "exports/orders"
  access_key_wo         = var.s3_access_key
  access_key_wo_version = "1"
  secret_key_wo         = var.s3_secret_key
  secret_key_wo_version = "1"
}}

resource "aep_source_connection" "orders" {{
  name               = {names["aep_source_connection"]}
  base_connection_id = aep_s3_base_connection.orders.id
  path               = "/acme-orders/exports/orders"
  format             = "delimited"
  column_delimiter   = ","
}}

resource "aep_xdm_schema" "orders" {{
  name        = {names["aep_xdm_schema"]}
  description = "One field per column of the order exports"
  fields = {{
{fields}
  }}
}}

resource "aep_mapping_set" "orders" {{
  name      = {names["aep_mapping_set"]}
  schema_id = aep_xdm_schema.orders.id
  mappings = [
{lines}
  ]
{sample}}}
"""
        if self.dataset:
            text += f"""
resource "aep_dataset" "orders" {{
  name      = {names["aep_dataset"]}
  schema_id = aep_xdm_schema.orders.id
{protection}}}

resource "aep_target_connection" "orders" {{
  name       = {names["aep_target_connection"]}
  dataset_id = aep_dataset.orders.id
  schema_id  = aep_xdm_schema.orders.id
}}

resource "aep_dataflow" "orders" {{
  name                 = {names["aep_dataflow"]}
  source_connection_id = aep_source_connection.orders.id
  target_connection_id = aep_target_connection.orders.id
  mapping_id           = aep_mapping_set.orders.id
  mapping_version      = aep_mapping_set.orders.version
  frequency            = "minute"
  interval             = 15
}}
"""
        return text

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.tf").write_text(self.hcl())
        return folder


def tutorial_env(server: LocalAep, tmp_path: Path, cli_config: Path) -> dict[str, str]:
    """The provider pointed at ``server`` (sandbox prod), the S3 keys, the project's CLI config."""
    return {**provider_env(server, tmp_path / "token-cache"), **S3_KEYS, "TF_CLI_CONFIG_FILE": str(cli_config),
            "CHECKPOINT_DISABLE": "1"}


def terraform_env(env: Mapping[str, str]) -> dict[str, str]:
    """Plain terraform's environment, as ``run`` makes it, for a command started in the background."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "AEP_"))}
    environment.update(env, TF_IN_AUTOMATION="1", TF_INPUT="0", NO_COLOR="1")
    return environment


def said(proc: subprocess.CompletedProcess[str]) -> str:
    """A command's whole output with its line wrapping undone, for looking up sentences."""
    return " ".join((proc.stdout + proc.stderr).split())


def plan(folder: Path, env: Mapping[str, str]) -> tuple[int, str]:
    """``terraform plan -detailed-exitcode``: its code (0 none, 1 error, 2 changes) and output."""
    proc = run(folder, env, "plan", "-detailed-exitcode", check=False)
    return proc.returncode, said(proc)


def state(folder: Path) -> dict[str, dict[str, Any]]:
    """Each managed resource's attributes, by type (one ``orders`` of each)."""
    path = folder / "terraform.tfstate"
    if not path.exists() or not path.read_text().strip():  # none yet, or an apply killed before it wrote one
        return {}
    found = {}
    for resource in json.loads(path.read_text())["resources"]:
        if resource["mode"] == "managed" and resource["instances"]:  # none: a create that never answered
            [instance] = resource["instances"]
            found[resource["type"]] = instance["attributes"]
    return found


def calls(server: LocalAep) -> Counter[str]:
    """``METHOD template`` of every API call since the last reset (IMS and /__local/ left out)."""
    return Counter(f"{r['method']} {r['template']}" for r in server.requests()
                   if not r["template"].startswith(("/__local", "/ims")))


def writes(server: LocalAep) -> list[str]:
    """The writes since the last reset, in order, with their status: ``POST /flows 201``."""
    return [f"{r['method']} {r['template']} {r['status']}" for r in server.requests()
            if r["method"] in WRITES and not r["template"].startswith(("/__local", "/ims"))]


def written(server: LocalAep) -> Counter[str]:
    """The writes since the last reset, counted by ``METHOD template``."""
    return Counter(entry.rsplit(" ", 1)[0] for entry in writes(server))


class Platform(FlowApi):
    """The four services as the tests see them, without our client."""

    def _get(self, url: str, accept: str | None = None, **params: str) -> requests.Response:
        headers = self.headers() | ({"Accept": accept} if accept else {})
        return requests.get(url, headers=headers, params=params, timeout=10)

    def call(self, method: str, url: str, body: Any = None, **headers: str) -> requests.Response:
        response = requests.request(method, url, json=body, headers=self.headers() | headers, timeout=10)
        assert response.status_code < 300, response.text
        return response

    def registry(self, kind: str) -> list[dict[str, Any]]:
        """The tenant's ``schemas`` or ``fieldgroups``, whole."""
        response = self._get(f"{self.server.schema_registry_url}/tenant/{kind}", xdm.ACCEPT_RAW)
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def registry_url(self, kind: str, resource_id: str) -> str:
        return f"{self.server.schema_registry_url}/tenant/{kind}/{quote_plus(resource_id)}"

    def schema(self, schema_id: str) -> requests.Response:
        """The schema with its field groups resolved (404 once deleted)."""
        return self._get(self.registry_url("schemas", schema_id), xdm.ACCEPT_FULL)

    def field_group(self, group_id: str) -> requests.Response:
        return self._get(self.registry_url("fieldgroups", group_id), xdm.ACCEPT_RAW)

    def datasets(self) -> dict[str, dict[str, Any]]:
        response = self._get(f"{self.server.catalog_url}/dataSets", limit="100")
        response.raise_for_status()
        found: dict[str, dict[str, Any]] = response.json()
        return found

    def dataset(self, dataset_id: str) -> requests.Response:
        return self._get(f"{self.server.catalog_url}/dataSets/{dataset_id}")

    def mapping_sets(self) -> list[dict[str, Any]]:
        response = self._get(f"{self.server.data_prep_url}/mappingSets", limit="100")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()["data"]
        return found

    def mapping_set(self, mapping_id: str) -> requests.Response:
        return self._get(f"{self.server.data_prep_url}/mappingSets/{mapping_id}")

    def flow_object(self, collection: str, object_id: str) -> requests.Response:
        return self._get(f"{self.server.flow_url}{collection}/{object_id}")

    def record(self, kind: str, object_id: str) -> dict[str, Any]:
        """What the service holds now for an object of a resource type (a schema resolved)."""
        if kind in FLOW_COLLECTIONS:
            response = self.flow_object(FLOW_COLLECTIONS[kind], object_id)
        else:
            response = {"aep_xdm_schema": self.schema, "aep_dataset": self.dataset,
                        "aep_mapping_set": self.mapping_set}[kind](object_id)
        assert response.status_code == 200, (kind, response.status_code, response.text)
        body: dict[str, Any] = response.json()
        if kind == "aep_dataset":
            return dict(body[object_id])  # Catalog answers keyed by id
        return dict(body["items"][0]) if kind in FLOW_COLLECTIONS else body

    def names(self) -> dict[str, Counter[str]]:
        """How many objects of each kind carry each name: schemas and field groups by title, datasets
        and mapping sets by name, the Flow Service kinds by name."""
        return {
            "schemas": Counter(s["title"] for s in self.registry("schemas")),
            "fieldgroups": Counter(g["title"] for g in self.registry("fieldgroups")),
            "datasets": Counter(d.get("name") for d in self.datasets().values()),
            "mappingSets": Counter(m.get("name") for m in self.mapping_sets()),
            **{collection: Counter(o["name"] for o in self.list(collection))
               for collection in FLOW_COLLECTIONS.values()},
        }


def sample_rows() -> tuple[int, int]:
    """(rows, well-formed rows) of the sample files: a row is well formed when it has the header's width."""
    rows = good = 0
    for path in sorted(SAMPLES.glob("*.csv")):
        header, *body = [line for line in path.read_text().splitlines() if line.strip()]
        rows += len(body)
        good += sum(1 for line in body if len(line.split(",")) == len(header.split(",")))
    return rows, good
