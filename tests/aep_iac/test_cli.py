"""The console command's surface: every subcommand has --help, arguments reach the module that runs
them, the scaffold is complete, lint-clean and never overwrites (the e2e tests run it for real)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aep_iac import cli, scaffold
from aep_spec.identity import VERSION


@pytest.fixture(autouse=True)
def own_process_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands set the process's environment and argv[0], as a console command may: not here."""
    monkeypatch.setattr(os, "environ", dict(os.environ))
    monkeypatch.setattr(sys, "argv", list(sys.argv))


@pytest.mark.parametrize("command", cli.ORDER)
def test_every_command_documents_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main([command, "--help"])
    assert done.value.code == 0
    assert f"usage: aep-iac {command}" in capsys.readouterr().out


def test_the_top_level_help_lists_every_command_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    positions = [out.index(f"\n    {name}") for name in cli.ORDER]
    assert positions == sorted(positions)


def test_a_passed_on_command_gets_its_arguments_verbatim() -> None:
    assert cli._split(["-C", "x", "plan", "--out", "p.md", "s3-dev"]) == (["-C", "x", "plan"],
                                                                           ["--out", "p.md", "s3-dev"])
    assert cli._split(["deploy", "s3-dev"]) == (["deploy", "s3-dev"], [])
    assert cli._split(["verify", "--help"]) == (["verify"], ["--help"])


def test_the_environment_is_the_projects_own(tmp_path: Path) -> None:
    environ = {"PATH": "/usr/bin", "TF_CLI_CONFIG_FILE": "/elsewhere/missing.tfrc"}
    cli.project_environment(tmp_path, environ)
    assert environ["TF_CLI_CONFIG_FILE"] == str(tmp_path / ".aep" / "cli.tfrc")
    assert environ["TF_INPUT"] == "0" and environ["CHECKPOINT_DISABLE"] == "1"
    assert environ["PATH"].split(":")[0] == str(tmp_path / "node_modules" / ".bin")
    assert environ["PATH"].endswith("/usr/bin")


def test_the_scaffold_is_complete_pinned_and_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("ours\n")
    written, kept = scaffold.write(tmp_path)
    assert kept == ["README.md"] and (tmp_path / "README.md").read_text() == "ours\n"
    assert set(written) == {"main.py", "cdktf.json", "requirements.txt", "package.json", ".github/workflows/aep.yml",
                            ".gitignore"}
    assert (tmp_path / "requirements.txt").read_text().splitlines()[-1] == f"aep-iac[local]=={VERSION}"
    assert json.loads((tmp_path / "cdktf.json").read_text())["app"] == "python3 main.py"
    root_package = json.loads((Path(__file__).parents[2] / "package.json").read_text())
    assert json.loads((tmp_path / "package.json").read_text())["devDependencies"] == root_package["devDependencies"]
    assert ".aep/" in (tmp_path / ".gitignore").read_text().splitlines()
    workflow = (tmp_path / ".github" / "workflows" / "aep.yml").read_text()
    assert "aep-iac plan" in workflow and "aep-iac verify" in workflow and "aep-iac status" in workflow
    assert "make " not in workflow and "scripts/" not in workflow
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(tmp_path / "main.py")],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    assert scaffold.write(tmp_path, force=True)[1] == []
