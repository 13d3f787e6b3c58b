"""A plan a pull request can show at any size, through the CI workflow's own steps.

In one change: 1,000 connections created in dev (five stacks), and in prod a replacement (an auth
spec change) and a deletion. The workflow's plan job runs as written (scripts/plan, then the posting
step) with a stand-in `gh` that refuses, as GitHub does, a body over 65,536 characters: the posted
body fits, names the replacement with what forces it and the deletion, gives the right counts and
links to the run whose artifact holds the full plan; plan.md itself stays whole.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from aep_iac import review
from aep_iac.project import ROOT
from aep_local.testing import LocalAep
from tests.e2e.repo_copy import copy_checkout, make
from tests.e2e.test_team_workflow import environment_without_secrets
from tests.e2e.workflow import Workflow

pytestmark = pytest.mark.e2e

APP = Path(__file__).with_name("apps") / "review.py"
SECRETS = {"TF_VAR_s3_access_key": "AKIAREVIEWSCALE00001", "TF_VAR_s3_secret_key": "review-secret-1",
           "TF_VAR_s3_session_token": "review-token-1"}
CLIENT = {"AEP_CLIENT_ID": "review-client", "AEP_CLIENT_SECRET": "review-secret-CANARY", "AEP_ORG_ID":
          "REVIEW0000000000000000@AdobeOrg"}
RUN = {"GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "acme/aep-infra", "GITHUB_RUN_ID": "4242"}
GH = """#!/usr/bin/env python3
# Stands in for the GitHub CLI: a comment body over GitHub's limit is refused, as GitHub does.
import shutil, sys
args = sys.argv[1:]
body = args[args.index("--body-file") + 1]
text = open(body, encoding="utf-8").read()
if len(text) > 65536:
    sys.exit(f"GraphQL: Body is too long (maximum is 65536 characters) ({len(text)})")
shutil.copy(body, "{posted}")
"""


def test_a_thousand_creates_a_replacement_and_a_deletion_post_a_bounded_review(tmp_path: Path) -> None:
    repo = copy_checkout(tmp_path / "repo")
    shutil.copy(APP, repo / "main.py")
    (repo / "placement.json").unlink()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    posted = tmp_path / "posted.md"
    (bin_dir / "gh").write_text(GH.replace("{posted}", str(posted)))
    (bin_dir / "gh").chmod(0o755)
    with LocalAep(data_dir=tmp_path / "data", args=["--sandboxes", "dev,prod"]) as server:
        local = {"AEP_FLOW_SERVICE_URL": server.flow_url, "AEP_IMS_URL": server.ims_url,
                 "AEP_TOKEN_CACHE_DIR": str(tmp_path / "tc"), **CLIENT, **SECRETS}
        first = make(repo, "deploy", env=local)
        assert first.returncode == 0, first.output[-3000:]

        # The author's own `make plan` writes placement.json for the new connections; it is committed.
        change = local | {"REVIEW_CREATES": "1000", "REVIEW_CHANGE": "1"}
        assert make(repo, "lock", env=change).returncode == 0
        stacks = json.loads((repo / "placement.json").read_text())["sandboxes"]["dev"]
        assert len(stacks) == 5

        workflow = Workflow(ROOT / ".github" / "workflows" / "aep-connections.yml")
        secrets = {"AEP_CLIENT_ID": CLIENT["AEP_CLIENT_ID"], "AEP_CLIENT_SECRET": CLIENT["AEP_CLIENT_SECRET"],
                   "AEP_ORG_ID": CLIENT["AEP_ORG_ID"], "S3_ACCESS_KEY": SECRETS["TF_VAR_s3_access_key"],
                   "S3_SECRET_KEY": SECRETS["TF_VAR_s3_secret_key"],
                   "S3_SESSION_TOKEN": SECRETS["TF_VAR_s3_session_token"],
                   "S3_PROD_ACCESS_KEY": "-", "S3_PROD_SECRET_KEY": "-", "S3_PROD_SESSION_TOKEN": "-",
                   "STATE_AWS_ACCESS_KEY_ID": "-", "STATE_AWS_SECRET_ACCESS_KEY": "-"}
        values = {f"secrets.{k}": v for k, v in secrets.items()} | {
            "github.token": "gh-token", "github.event.pull_request.number": "9", "github.ref": "refs/pull/9/merge",
            "vars.TF_STATE_BUCKET": "", "vars.TF_STATE_REGION": ""}
        base = environment_without_secrets() | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path)}
        overrides = change | RUN | {"TF_STATE_BACKEND": "local"}
        steps = workflow.run_job("plan", repo, values, base, overrides, tmp_path)
    assert [s.returncode for s in steps] == [0, 0], [s.output[-3000:] for s in steps]
    assert steps[0].outputs == {"exit_code": "2", "complete": "true"}

    body = posted.read_text()
    full = (repo / "plan.md").read_text()
    assert len(body) <= review.COMMENT_LIMIT and body.startswith(full)  # alike creates are one entry: it fits
    assert "**1000 to create, 0 to update, 1 to replace, 1 to delete** in 2 sandboxes (6 stacks)" in body
    assert ("- **Replace** base connection `tutorial` (Amazon S3 base connection) in `prod` (`s3-prod`), "
            "replaced because of `auth_spec_name`") in body
    assert "- **Delete** base connection `retired` (Retired landing zone) in `prod` (`s3-prod`)" in body
    assert body.index("## Deletions and replacements (2)") < body.index("## dev")
    assert "1000 base connections in 5 stacks" in body
    assert all(secret not in body for secret in SECRETS.values())
    assert "(https://github.example/acme/aep-infra/actions/runs/4242)" in body  # where the whole plan is
    doc = json.loads((repo / "plan.json").read_text())
    assert doc["review"]["complete"] is True and doc["review"]["comment_chars"] == len(body)
    assert sum(len(s["changes"]) for s in doc["stacks"]) == 1002
    assert 0 < doc["timings"]["report_s"] < doc["timings"]["terraform_s"]
    print(f"\nreview of 1,002 changes: Terraform {doc['timings']['terraform_s']} s, writing the files "
          f"{doc['timings']['report_s']} s; plan.md {len(full)} characters, comment {len(body)}")
