"""plan.md and plan.json from Terraform's -json output: diagnostics once, with their resource; the
variables a create lacks named; the exit status and its file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aep_iac import plan
from aep_iac.plan import Problem, StackPlan

PROVIDER = 'provider["terraform.local/aep/aep"]'


def line(summary: str, detail: str = "", address: str | None = None, severity: str = "error") -> str:
    diagnostic = {"severity": severity, "summary": summary, "detail": detail}
    if address:
        diagnostic["address"] = address
    return json.dumps({"@level": severity, "type": "diagnostic", "diagnostic": diagnostic})


def test_each_distinct_diagnostic_is_kept_once_in_order() -> None:
    output = "\n".join([
        json.dumps({"type": "version", "terraform": "1.11.4"}),
        line("Invalid provider configuration", "missing client_id (AEP_CLIENT_ID)", PROVIDER),
        line("Invalid provider configuration", "missing client_id (AEP_CLIENT_ID)", PROVIDER),
        "not json",
        line("Flow Service read failed", "refused", "aep_s3_base_connection.a"),
        line("Invalid provider configuration", "missing client_id (AEP_CLIENT_ID)", PROVIDER),
        line("Flow Service read failed", "refused", "aep_s3_base_connection.b"),
    ])
    found = plan.diagnostics_of(output)
    assert [(p.summary, p.address) for p in found] == [
        ("Invalid provider configuration", PROVIDER),
        ("Flow Service read failed", "aep_s3_base_connection.a"),
        ("Flow Service read failed", "aep_s3_base_connection.b"),
    ]
    assert found[0].where == "provider configuration"


STACK_DOC = {"resource": {"aep_s3_base_connection": {"tutorial": {
    "name": "Tutorial", "access_key_wo": "${var.s3_access_key}", "secret_key_wo": "${var.s3_secret_key}",
    "session_token_wo": "${var.s3_session_token}", "access_key_wo_version": "1"}}}}


def test_a_create_without_credentials_names_the_unset_variables() -> None:
    problem = Problem("error", "Credentials missing to re-create connection 'Tutorial'", "A create sends them.",
                      "aep_s3_base_connection.tutorial")
    other = Problem("error", "Flow Service read failed", "x", "aep_s3_base_connection.tutorial")
    (explained, untouched) = plan.explain_credentials([problem, other], STACK_DOC,
                                                      {"TF_VAR_s3_session_token": "set"})
    assert untouched == other
    assert "TF_VAR_s3_access_key (access_key_wo)" in explained.detail
    assert "TF_VAR_s3_secret_key (secret_key_wo)" in explained.detail
    assert "TF_VAR_s3_session_token" not in explained.detail  # it is set
    assert "`tutorial`" in explained.detail


def test_markdown_lists_errors_with_addresses_and_warnings_as_notes() -> None:
    boom = Problem("error", "Boom", "line one\nline two", "aep_s3_base_connection.a")
    failed = StackPlan("s3-dev").fail([boom])
    noted = StackPlan("s3-prod", problems=[Problem("warning", "will be adopted", "one PATCH", "x.b")])
    text = plan.render_markdown([failed, noted])
    assert "**errors in s3-dev**" in text
    assert "Planning failed in `s3-dev`:" in text
    assert "- **Error** (`aep_s3_base_connection.a`): Boom\n  line one\n  line two" in text
    assert "### Notes (1)" in text and "- **Warning** (`x.b`, `s3-prod`): will be adopted" in text
    doc = plan.render_json([failed, noted], plan.exit_code([failed, noted]))
    assert doc["exit_code"] == 1
    assert doc["stacks"][0]["diagnostics"][0]["address"] == "aep_s3_base_connection.a"
    assert doc["stacks"][0]["error"] == "aep_s3_base_connection.a: Boom: line one\nline two"


DEAD = "Cannot reach Flow Service: AEP_FLOW_SERVICE_URL=http://127.0.0.1:8799/data/foundation/flowservice"


def dead_endpoint(*addresses: str) -> list[Problem]:
    return [Problem("error", DEAD, "No connection: connection refused.", address) for address in addresses]


def test_one_cause_over_many_objects_and_stacks_is_one_entry_with_a_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    own = Problem("error", "Credentials missing to create connection 'X'", "set them", "aep_s3_base_connection.x")
    dev = StackPlan("s3-dev", sandbox="dev").fail(plan.one_per_cause(dead_endpoint("a.one", "a.two", "a.three")))
    prod = StackPlan("s3-prod", sandbox="prod").fail(plan.one_per_cause([*dead_endpoint("a.one"), own]))
    (grouped,) = dev.errors
    assert grouped.objects == ("a.one", "a.two", "a.three") and grouped.where == "3 objects"
    text = plan.render_markdown([dev, prod])
    assert text.count(DEAD) == 1 and text.count("connection refused") == 1
    assert f"## Errors in more than one stack\n\n- **Error** (4 objects in `s3-dev`, `s3-prod`): {DEAD}" in text
    assert "Planning failed in `s3-dev`: the errors above, in more than one stack." in text
    assert ("Planning failed in `s3-prod` (and the errors above, in more than one stack):\n\n"
            "- **Error** (`aep_s3_base_connection.x`): Credentials missing") in text
    doc = plan.render_json([dev, prod], 1)
    assert doc["shared_errors"][0]["stacks"] == ["s3-dev", "s3-prod"]
    assert len(doc["shared_errors"][0]["objects"]) == 4
    plan.print_summary([dev, prod])
    out = capsys.readouterr().out
    assert out.count(DEAD) == 1 and "error in s3-dev, s3-prod, 4 objects: " + DEAD in out
    assert "s3-dev: error (below)" in out and "s3-prod: error: aep_s3_base_connection.x: Credentials" in out


def test_the_demos_endpoint_down_says_how_to_start_it(tmp_path: Path) -> None:
    from aep_iac import localdemo

    localdemo.record(tmp_path, 8799)
    (explained,) = plan.explain_endpoint(dead_endpoint("a.one"), tmp_path)
    assert explained.detail.endswith(
        "start it with `aep-iac local-aep start --port 8799` (or `aep-iac demo --port 8799`).")
    (elsewhere,) = plan.explain_endpoint([Problem("error", DEAD.replace("8799", "9"), "refused", "a")], tmp_path)
    assert elsewhere.detail == "refused"


def test_a_deleted_connection_shows_as_drift_without_attribute_noise() -> None:
    deleted = {"actions": ["delete"], "before": {"name": "A", "bucket_name": "b"}, "after": None}
    shown = {"resource_drift": [{"address": "aep_s3_base_connection.a", "name": "a",
                                 "type": "aep_s3_base_connection", "change": deleted}]}
    changes, drift = plan.changes_of(shown)
    assert changes == [] and [(d.key, d.action, d.attributes) for d in drift] == [("a", "deleted", {})]
    text = plan.render_markdown([StackPlan("s3-dev", drift=drift)])
    assert "- base connection `a` (A) in `s3-dev`: deleted in Flow Service" in text


def test_a_value_known_only_after_apply_inside_a_list_is_spelled_out() -> None:
    """A new mapping line whose destination comes from the schema being updated: Terraform's ``after``
    leaves the destination out; the review says it is known after apply instead of dropping it."""
    line = {"destination": "_acme.orderId", "source": "order_id"}
    update = {"actions": ["update"], "before": {"name": "M", "mappings": [line]},
              "after": {"name": "M", "mappings": [line, {"source": "currency"}]},
              "after_unknown": {"mappings": [{}, {"destination": True}]}}
    shown = {"resource_changes": [{"address": "aep_mapping_set.m", "name": "m", "type": "aep_mapping_set",
                                   "change": update}]}
    changes, _ = plan.changes_of(shown)
    assert [(c.key, c.action) for c in changes] == [("m", "update")]
    new = json.loads(changes[0].attributes["mappings"][1])
    assert new == [line, {"source": "currency", "destination": "(known after apply)"}]


@pytest.mark.parametrize(("plans", "code", "returned"), [
    ([StackPlan("a")], 0, 0),
    ([StackPlan("a", changes=[plan.Change("x.a", "a", "A", "create")])], 2, 0),
    ([StackPlan("a").fail([Problem("error", "Boom")])], 1, 1),
])
def test_the_status_file_carries_the_detailed_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     plans: list[StackPlan], code: int, returned: int) -> None:
    (tmp_path / "cdktf.out").mkdir()
    (tmp_path / "cdktf.out" / "manifest.json").write_text(json.dumps({"stacks": {p.stack: {} for p in plans}}))
    monkeypatch.setattr(plan, "plan_stacks", lambda project, stacks, environ, bound, runner: list(plans))
    status = tmp_path / "status"
    args = ["--project", str(tmp_path), "--out", str(tmp_path / "plan.md"), "--json", str(tmp_path / "plan.json")]
    assert plan.main([*args, "--status-file", str(status)]) == returned
    assert status.read_text().strip() == str(code)
    assert plan.main(args) == code
