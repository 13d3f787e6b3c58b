"""Secrets never leak: a whole lifecycle of the ingestion path (base connection, explore, source and
target connections, dataflow, its runs) with unique canary values, then a search of every artifact.

Searched: cdk.tf.json and everything else under the project copy (state, backups, plan files,
.terraform), plan output as text and JSON, TF_LOG=trace logs (which carry the provider's
stderr), and every command's output, including a failed apply's error message. Not searched:
the token cache (holding the access token is its job, 0600) and the emulator's own database.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

import pytest

from aep_iac.project import CdktfProject, Run
from aep_local.testing import LocalAep
from tests.conftest import provider_env

INGESTION_APP = Path(__file__).parent / "apps" / "ingestion.py"

pytestmark = [pytest.mark.e2e, pytest.mark.framework]


def canary(kind: str) -> str:
    return f"CANARY-{kind}-{secrets.token_hex(8)}"


def hits(needles: dict[str, str], haystacks: dict[str, str]) -> list[str]:
    return [f"{name} in {where}" for name, value in needles.items()
            for where, text in haystacks.items() if value in text]


def test_no_secret_in_any_artifact(tmp_path: Path, cli_config: Path) -> None:
    (tmp_path / "local-aep-data").mkdir()
    with LocalAep(data_dir=tmp_path / "local-aep-data", args=["--local-s3"]) as local_aep:
        run_lifecycle(tmp_path, local_aep, cli_config)


def run_lifecycle(tmp_path: Path, local_aep: LocalAep, cli_config: Path) -> None:
    cache = tmp_path / "token-cache"
    values = {
        "access key": canary("AK"),
        "secret key": canary("SK"),
        "session token": canary("ST"),
        "rotated session token": canary("ST2"),
    }
    env = provider_env(local_aep, cache) | {
        "TF_VAR_s3_access_key": values["access key"],
        "TF_VAR_s3_secret_key": values["secret key"],
        "TF_VAR_s3_session_token": values["session token"],
        "TF_LOG": "trace",
        "TF_LOG_PATH": str(tmp_path / "terraform-trace.log"),
    }
    values["client secret"] = env["AEP_CLIENT_SECRET"] = canary("CS")
    project = CdktfProject(tmp_path / "app", cli_config, env, app_file=INGESTION_APP, stacks=("s3-ingestion",))
    project.lock()
    runs: list[Run] = [project.deploy()]
    local_aep.tick()  # the dataflow's first run reads the files with the connection's credentials
    runs.append(project.terraform("apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false"))
    assert '"records_read"' in project.terraform("output", "-json", "dataflow_runs").stdout

    # The IMS access token the provider obtained is a secret too: read it from its cache.
    [token_file] = [p for p in cache.rglob("*") if p.is_file() and p.suffix == ".json"]
    assert token_file.stat().st_mode & 0o077 == 0
    values["access token"] = json.loads(token_file.read_text())["access_token"]

    runs.append(project.cdktf("diff", "s3-ingestion"))
    rotate = {"TF_VAR_s3_session_token": values["rotated session token"], "S3_SESSION_TOKEN_VERSION": "2"}
    project.synth(rotate)
    runs.append(project.terraform("plan", "-out=rotate.tfplan", "-input=false", "-no-color", extra_env=rotate))
    plan_json = project.terraform("show", "-json", "rotate.tfplan", extra_env=rotate)
    assert '"session_token_wo_version"' in plan_json.stdout
    runs.append(plan_json)
    runs.append(project.deploy(rotate))

    # An error path: the server refuses the next PATCH outright; the message must not echo secrets.
    local_aep.set_faults(methods=["PATCH"], script=["500", "500", "500", "500", "500", "500", "500"])
    failing = project.deploy(check=False,
                            extra_env=rotate | {"S3_SESSION_TOKEN_VERSION": "3", "AEP_MAX_RETRIES": "1"})
    assert failing.returncode != 0 and "Flow Service update failed" in " ".join(failing.output.split())
    runs.append(failing)
    local_aep.clear_faults()
    runs.append(project.destroy(extra_env=rotate))

    haystacks = {f"output of {' '.join(r.args[:3])} #{i}": r.output for i, r in enumerate(runs)}
    for path in project.folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and "node_modules" not in path.parts:
            haystacks[str(path.relative_to(tmp_path))] = path.read_bytes().decode("utf-8", "replace")
    haystacks["TF_LOG=trace log"] = (tmp_path / "terraform-trace.log").read_text()
    assert "cdk.tf.json" in " ".join(haystacks) and any(k.endswith(".tfstate") for k in haystacks)
    assert len(haystacks["TF_LOG=trace log"]) > 10_000  # the trace log really was written
    # Provider logs reach Terraform's log with their level and Flow Service's request ids.
    trace = haystacks["TF_LOG=trace log"]
    assert re.search(r"\[DEBUG\] provider\.terraform-provider-aep[^:]*: PATCH /connections/\S+ -> 200 "
                     r"in \d+ ms \(request id [0-9a-zA-Z-]{8,}\)", trace), "no request log lines in TF_LOG"
    assert hits(values, haystacks) == []
    # Positive control: the values did travel (the server stores what it was sent), so their
    # absence everywhere else means something.
    server_files = {str(p): p.read_bytes().decode("utf-8", "replace")
                    for p in (tmp_path / "local-aep-data").rglob("*") if p.is_file()}
    assert {"secret key", "rotated session token"} <= {h.split(" in ")[0] for h in hits(values, server_files)}
