"""After `make demo`, later commands get its settings, but only while they target its Flow Service."""

from __future__ import annotations

import json
from pathlib import Path

from aep_iac import localdemo


def project_after_demo(tmp_path: Path, port: int = 8799) -> Path:
    stack = tmp_path / "cdktf.out" / "stacks" / "s3-dev"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps({"variable": {
        "s3_access_key": {"sensitive": True, "ephemeral": True, "default": None},
        "region": {"default": "eu-west-1"}}}))
    localdemo.record(tmp_path, port)
    return tmp_path


def test_nothing_without_a_demo(tmp_path: Path) -> None:
    assert localdemo.defaults(tmp_path, {}) == {}


def test_the_demo_fills_what_is_not_set_and_the_user_wins(tmp_path: Path) -> None:
    project = project_after_demo(tmp_path)
    added = localdemo.defaults(project, {"AEP_CLIENT_ID": "mine"})
    assert added["AEP_FLOW_SERVICE_URL"] == "http://127.0.0.1:8799/data/foundation/flowservice"
    assert added["AEP_IMS_URL"] == "http://127.0.0.1:8799"
    assert "AEP_CLIENT_ID" not in added and added["AEP_ORG_ID"] == localdemo.ORG_ID
    assert added["TF_VAR_s3_access_key"].startswith("FAKE-DEMO-")
    assert "TF_VAR_region" not in added  # not a secret: the stack's default stands


def test_the_demo_url_itself_still_gets_the_fake_credentials(tmp_path: Path) -> None:
    project = project_after_demo(tmp_path)
    added = localdemo.defaults(project, {"AEP_FLOW_SERVICE_URL": "http://127.0.0.1:8799/data/foundation/flowservice/"})
    assert added["AEP_CLIENT_SECRET"] == localdemo.CLIENT_SECRET


def test_pointed_at_another_flow_service_nothing_is_filled_in(tmp_path: Path) -> None:
    project = project_after_demo(tmp_path)
    environ = {"AEP_FLOW_SERVICE_URL": "https://platform.adobe.io/data/foundation/flowservice"}
    assert localdemo.defaults(project, environ) == {}
    assert localdemo.apply(project, environ) == {} and list(environ) == ["AEP_FLOW_SERVICE_URL"]


def test_an_unreadable_record_is_no_demo(tmp_path: Path) -> None:
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "demo.json").write_text("{not json")
    assert localdemo.defaults(tmp_path, {}) == {}


def test_advice_for_the_demos_endpoints_only(tmp_path: Path) -> None:
    project = project_after_demo(tmp_path)
    flow = "http://127.0.0.1:8799/data/foundation/flowservice"
    start = localdemo.advice(project, "AEP_FLOW_SERVICE_URL", flow, answered=False)
    assert start is not None and "`aep-iac local-aep start --port 8799` (or `aep-iac demo --port 8799`)" in start
    assert "aep-iac local-aep start --port" in str(localdemo.advice(project, "AEP_IMS_URL", "http://127.0.0.1:8799",
                                                              answered=False))
    wrong = localdemo.advice(project, "AEP_FLOW_SERVICE_URL", flow[:-1], answered=True)
    assert wrong == f"The local AEP of `aep-iac demo` serves AEP_FLOW_SERVICE_URL={flow}."
    assert localdemo.advice(project, "AEP_FLOW_SERVICE_URL", "https://platform.example/x", answered=False) is None
    assert localdemo.advice(project, "AEP_FLOW_SERVICE_URL", "http://127.0.0.1:9/x", answered=True) is None
    assert localdemo.advice(tmp_path / "no-demo", "AEP_FLOW_SERVICE_URL", flow, answered=False) is None


def test_the_default_port_needs_no_port_in_the_advice(tmp_path: Path) -> None:
    localdemo.record(tmp_path, localdemo.DEFAULT_PORT)
    url = localdemo.urls(localdemo.DEFAULT_PORT)["AEP_FLOW_SERVICE_URL"]
    assert "start it with `aep-iac local-aep start` (or `aep-iac demo`)" in str(
        localdemo.advice(tmp_path, "AEP_FLOW_SERVICE_URL", url, answered=False))
