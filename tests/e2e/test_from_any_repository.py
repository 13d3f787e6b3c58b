"""From any repository: the README's "Use it in your repository", run as written.

The distribution is built as documented (`make dist`, in a copy of this checkout), installed in a
fresh virtual environment in an empty folder outside the checkout, and the section's shell blocks
run there in order, in one shell session as a user types them: scaffold, demo on the local AEP,
plan (exit 0), verify, status, the CDKTF CLI's own deploy, tear-down, and a plain-HCL folder with
its own provider set-up. Nothing written there may name a path of the checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from aep_iac.project import ROOT
from tests.e2e.repo_copy import copy_checkout, make
from tests.e2e.test_team_workflow import free_port

pytestmark = pytest.mark.e2e

SECTION = "## Use it in your repository"


def readme_blocks() -> list[str]:
    """The section's ```sh blocks, in order."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def outside_environment(tmp: Path) -> dict[str, str]:
    """A user's shell: no setting of ours, nothing of this checkout on the PATH."""
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p and not p.startswith(str(ROOT))]
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AEP_", "TF_", "CDK", "VIRTUAL_ENV", "PIPENV_", "MAKE", "JSII_", "PLACEMENT_"))}
    return keep | {"PATH": os.pathsep.join(path), "XDG_CACHE_HOME": str(tmp / "cache"),
                   "PIP_DISABLE_PIP_VERSION_CHECK": "1", "CHECKPOINT_DISABLE": "1"}


def test_the_readme_section_runs_as_written_in_an_empty_folder_outside_the_checkout(tmp_path: Path) -> None:
    built = copy_checkout(tmp_path / "checkout")
    dist = make(built, "dist", timeout=600)
    assert dist.returncode == 0, dist.output[-3000:]
    (wheel,) = (built / "dist").glob("aep_iac-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = sorted({name.split("/")[0] for name in archive.namelist() if not name.startswith("aep_iac-")})
        entry_points = archive.read(next(n for n in archive.namelist() if n.endswith("entry_points.txt"))).decode()
    # Importable packages named for what they are; the console command; the scaffold's templates.
    assert tops == ["aep_client", "aep_iac", "aep_local", "aep_provider", "aep_spec", "constructs_lib"], tops
    assert "aep-iac = aep_iac.cli:main" in entry_points

    repo = tmp_path / "elsewhere" / "aep-ingestion"
    repo.mkdir(parents=True)
    port = free_port()
    env = outside_environment(tmp_path) | {"AEP_IAC_DIST": str(wheel.parent), "AEP_IAC_PORT": str(port)}
    blocks = readme_blocks()
    assert len(blocks) == 4, blocks
    script = "\n".join(f"echo '=== block {i}'\n{block}" for i, block in enumerate(blocks, 1))
    try:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=repo, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=2400, stdin=subprocess.DEVNULL)
    finally:  # whatever failed, no server of ours is left running
        for folder in (repo, repo / "hcl"):
            if (folder / ".run" / "local-aep.pid").exists() and (repo / ".venv" / "bin" / "aep-iac").exists():
                subprocess.run([str(repo / ".venv" / "bin" / "aep-iac"), "-C", str(folder), "local-aep", "stop"],
                               env=env, capture_output=True, timeout=60)
    (tmp_path / "session.log").write_text(done.stdout)
    assert done.returncode == 0, done.stdout[-6000:]
    out = done.stdout

    # The scaffold deployed at once: both sandboxes, what landed, then no change; verify and status 0.
    assert "apply: 2 of 2 stack(s) done" in out, out[-4000:]
    assert re.search(r"dataset orders \(\w+\): \d+ record\(s\) landed", out), out[-4000:]
    assert "wrote plan.md and plan.json (no changes: exit status 0)" in out
    assert "wrote verify.md and verify.json (every run within its expectations: exit status 0)" in out
    assert "wrote status.md and status.json (healthy: exit status 0)" in out
    assert json.loads((repo / "verify.json").read_text())["exit_code"] == 0
    assert "```mermaid" in (repo / "status.md").read_text()
    # The CDKTF CLI's own deploy, on the same stacks and state: nothing to change in either stack.
    cdktf = out.split("=== block 2")[1].split("=== block 3")[0]
    assert cdktf.count("No changes.") >= 2, cdktf[-4000:]
    # Torn down: both stacks destroyed; the plain-HCL folder created, planned no change, destroyed.
    assert "destroy: 2 of 2 stack(s) done" in out, out[-4000:]
    assert "Apply complete! Resources: 1 added" in out and "Destroy complete! Resources: 1 destroyed." in out
    assert not list(repo.glob("terraform.*.tfstate")) or all(
        not json.loads(p.read_text()).get("resources") for p in repo.glob("terraform.*.tfstate"))
    # Written files: the scaffold's, the provider's set-up inside the folder, nothing naming the checkout.
    for name in ("main.py", "cdktf.json", "requirements.txt", "package.json", ".github/workflows/aep.yml",
                 ".gitignore", "README.md", "placement.json", ".aep/cli.tfrc", "hcl/.aep/cli.tfrc"):
        assert (repo / name).is_file(), name
    assert (repo / "requirements.txt").read_text().splitlines()[-1] == "aep-iac[local]==0.2.0"
    leaks = subprocess.run(["grep", "-rlF", "-e", str(ROOT), "-e", str(built), str(repo)], capture_output=True,
                           text=True)
    assert leaks.stdout == "", leaks.stdout
    assert "b'!!" not in out  # no Node banner as Python bytes
