"""Bad input to the tutorial's new kinds is refused at plan, with one message naming the attribute
(down to the map key or the mapping line) and the rule, and nothing written; and a run of the whole
tutorial leaves no credential in state, plan, output or logs.

Rules Terraform's validation can see are refused before the provider is even configured (no call
at all); a destination or a column is checked against what it names (one read of the schema, one
explore of the sample file) before anything is written.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from aep_local.testing import LocalAep
from tests.e2e.test_secrets_canary import hits
from tests.e2e.tutorial import FIELDS, LINES, PREAMBLE, Tutorial, calls, run, said, state, tutorial_env, writes

pytestmark = pytest.mark.e2e

SCHEMA_ID = "https://ns.adobe.com/acme/schemas/5b7ff8b4e4a0c7d9b1f8a3c2d6e9f0a1"


def alone(resource: str) -> str:
    """A configuration of one resource beside the provider block."""
    return PREAMBLE + resource


@dataclass(frozen=True)
class Case:
    """A configuration, the error summary it must get (once), and words of its detail."""

    hcl: str
    summary: str
    words: tuple[str, ...]
    #: The read the check makes of what the line names (the schema, the sample file), if any: the
    #: tutorial's objects exist then, and only reads are made.
    reads: str = ""


def lines(*changed: tuple[str, str, str]) -> str:
    """The tutorial with its first mapping line replaced."""
    return Tutorial(lines=(*changed, *LINES[1:])).hcl()


CASES = {
    "field name starting with _": Case(
        Tutorial(fields={"_orderId": "string", **FIELDS}).hcl(), "Invalid fields._orderId",
        ("fields._orderId: a field name holds letters, digits, - and _ and does not start with _",)),
    "field name with a space": Case(
        Tutorial(fields={"order id": "string", **FIELDS}).hcl(), "Invalid fields.order id",
        ("a field name holds letters, digits, - and _",)),
    "field type unknown": Case(
        Tutorial(fields={**FIELDS, "total": "float"}).hcl(), "Invalid fields.total",
        ("fields.total: type must be one of string, number, integer, boolean, date, date-time; value: 'float'",)),
    "no field": Case(
        alone('resource "aep_xdm_schema" "orders" {\n  name   = "Empty"\n  fields = {}\n}\n'), "Invalid fields",
        ("fields: declare at least one field",)),
    "source type unknown": Case(
        lines(("order_id", "orderId", "COLUMN")), "Invalid mappings[0].source_type",
        ("mappings[0].source_type: must be one of ATTRIBUTE, EXPRESSION, STATIC; value: 'COLUMN'",)),
    "empty source": Case(
        lines(("", "orderId", "ATTRIBUTE")), "Invalid mappings[0].source",
        ("mappings[0].source: must be a non-empty string; value: ''",)),
    "destination not a path": Case(
        lines(("order_id", "_acme.order id", "ATTRIBUTE")), "Invalid mappings[0].destination",
        ("mappings[0].destination: must be a dotted XDM path such as _acme.orderId; value: '_acme.order id'",)),
    "no mapping line": Case(
        alone(f'resource "aep_mapping_set" "orders" {{\n  name      = "Nothing"\n  schema_id = "{SCHEMA_ID}"\n'
              "  mappings  = []\n}\n"), "Invalid mappings", ("mappings: declare at least one mapping line",)),
    "dataset's schema id": Case(
        alone('resource "aep_dataset" "orders" {\n  name      = "Orders"\n  schema_id = "orders-schema"\n}\n'),
        "Invalid schema_id", ("schema_id: must be an XDM schema $id", "value: 'orders-schema'")),
    "mapping set's schema id": Case(
        alone('resource "aep_mapping_set" "orders" {\n  name      = "Orders"\n  schema_id = "https://ns.adobe.com/x"\n'
              '  mappings  = [{ source = "a", destination = "_acme.a", source_type = "ATTRIBUTE" }]\n}\n'),
        "Invalid schema_id", ("schema_id: must be an XDM schema $id", "value: 'https://ns.adobe.com/x'")),
    "destination not in the schema": Case(
        lines(("order_id", "_acme.orderNumber", "ATTRIBUTE")), "Invalid mappings[0].destination",
        ("mappings[0].destination: no field of the output schema", "its fields:", "_acme.orderId",
         "declare the field in the schema, or fix the path; value: '_acme.orderNumber'"),
        reads="GET /schemaregistry/tenant/schemas/{id}"),
    "column not in the sample file": Case(
        lines(("orderid", "orderId", "ATTRIBUTE")), "Invalid mappings[0].source",
        ("mappings[0].source: no column of /acme-orders/exports/orders/orders-2024-01.csv's header is called so",
         "its columns: order_id, customer_id, total, currency, ordered_at", "value: 'orderid'"),
        reads="GET /connections/{id}/explore"),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, cli_config: Path) -> Iterator[tuple[LocalAep, Path, dict[str, str]]]:
    """The tutorial applied once: the checks that read what a line names find it there."""
    root = tmp_path_factory.mktemp("bad-input")
    (root / "data").mkdir()
    with LocalAep(data_dir=root / "data", args=["--local-s3", "--no-scheduler"]) as server:
        env = tutorial_env(server, root, cli_config)
        folder = Tutorial().write(root / "tutorial")
        run(folder, env, "init")
        run(folder, env, "apply", "-auto-approve")
        yield server, folder, env


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_error_naming_the_attribute_and_the_rule(
        made: tuple[LocalAep, Path, dict[str, str]], name: str) -> None:
    server, folder, env = made
    case = CASES[name]
    before = state(folder)
    (folder / "main.tf").write_text(case.hcl)
    server.reset_requests()
    try:
        proc = run(folder, env, "plan", check=False)
    finally:
        Tutorial().write(folder)
    text = said(proc)
    assert proc.returncode == 1, text
    assert text.count("Error: ") == 1 and f"Error: {case.summary} " in text, text
    for words in case.words:
        assert words in text, (words, text)
    assert writes(server) == []
    done = calls(server)
    if case.reads:
        assert done[case.reads] >= 1 and all(call.startswith("GET ") for call in done), done
    else:
        assert done == {}, done  # refused by validation: the provider was not even configured
    assert state(folder) == before


def test_no_credential_in_state_plan_output_or_logs(tmp_path: Path, cli_config: Path) -> None:
    """The whole tutorial (create, a run, a change, a saved plan, destroy) with canary credentials:
    none of them, nor the IMS token, appears in any file of the folder, any output, or the trace log."""
    (tmp_path / "data").mkdir()
    with LocalAep(data_dir=tmp_path / "data", args=["--local-s3", "--no-scheduler"]) as server:
        env = tutorial_env(server, tmp_path, cli_config)
        values = {name: f"CANARY-{name}-{secrets.token_hex(8)}" for name in ("client-secret", "ak", "sk")}
        env |= {"AEP_CLIENT_SECRET": values["client-secret"], "TF_VAR_s3_access_key": values["ak"],
                "TF_VAR_s3_secret_key": values["sk"], "TF_LOG": "trace",
                "TF_LOG_PATH": str(tmp_path / "trace.log")}
        folder = Tutorial().write(tmp_path / "tutorial")
        outputs = [run(folder, env, "init"), run(folder, env, "apply", "-auto-approve")]
        assert len(server.tick()) == 1
        grown = Tutorial(fields={**FIELDS, "channel": "string"}, lines=(*LINES, ("web", "channel", "STATIC")))
        grown.write(folder)
        outputs += [run(folder, env, "plan", "-out=grown.tfplan"), run(folder, env, "show", "-json", "grown.tfplan"),
                    run(folder, env, "apply", "grown.tfplan")]
        grown.but(deletion_protection=False).write(folder)
        outputs += [run(folder, env, "apply", "-auto-approve"), run(folder, env, "destroy", "-auto-approve")]
        [token_file] = [p for p in (tmp_path / "token-cache").rglob("*.json")]
        values["access token"] = json.loads(token_file.read_text())["access_token"]
        haystacks = {f"output #{i}": out.stdout + out.stderr for i, out in enumerate(outputs)}
        haystacks |= {str(p): p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*")
                      if p.is_file() and ".terraform" not in p.parts}
        haystacks["trace log"] = (tmp_path / "trace.log").read_text()
        assert any(name.endswith("terraform.tfstate") for name in haystacks) and "grown.tfplan" in " ".join(haystacks)
        assert '"aep_dataset"' in haystacks["output #3"] and len(haystacks["trace log"]) > 10_000
        assert hits(values, haystacks) == []
        # Positive control: the S3 keys did reach the server, so their absence above means something.
        stored = {str(p): p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "data").rglob("*")
                  if p.is_file()}
        assert {"sk"} <= {hit.split(" in ")[0] for hit in hits(values, stored)}
