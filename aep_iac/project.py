"""Drive the real toolchain (CDKTF CLI -> terraform -> our provider) in a throw-away project copy.

Each user (a test, a benchmark) gets its own folder with an app file (``main.py`` or a variant),
its own provider mirror and CLI config and its own state, so nothing touches the developer's
``make demo`` state. Commands go through :mod:`aep_iac.cdk`, as ``make deploy`` does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aep_client.config import ENV_VARS
from aep_client.ims import CACHE_DIR_ENV
from aep_iac.apps import FLEET_APP, FLEET_STACK
from aep_iac.cdk import cli_bin, framework, framework_path
from aep_iac.lock import lock, stack_dir, synthesized_stacks
from aep_iac.mirror import install, terraform_platform
from aep_spec.identity import S3_BASE_CONNECTION

#: The project's own checkout: where main.py, cdktf.json and node_modules live.
ROOT = Path(__file__).resolve().parent.parent
RESOURCE_TYPE = S3_BASE_CONNECTION
#: The stacks main.py declares, one per sandbox.
MAIN_STACKS = ("s3-dev", "s3-stage", "s3-prod")


@dataclass
class Run:
    """One finished command: what it printed, and how long it took."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def install_provider(out: Path) -> Path:
    """A private mirror and CLI config (for this interpreter's venv); returns the CLI config path."""
    _, config = install(out, Path(sys.executable))
    return config


def provider_env(flow_url: str, ims_url: str, *, client_id: str, client_secret: str, org_id: str,
                 token_cache: Path, sandbox: str = "prod") -> dict[str, str]:
    """The settings that point our provider at a Flow Service (e.g. a local one) as a client."""
    settings = {"flow_service_url": flow_url, "ims_url": ims_url, "client_id": client_id,
                "client_secret": client_secret, "org_id": org_id, "sandbox_name": sandbox}
    return {ENV_VARS[name]: value for name, value in settings.items()} | {CACHE_DIR_ENV: str(token_cache)}


def base_environment(cli_config: Path) -> dict[str, str]:
    """What every command of a throw-away project runs with: no settings of the caller's leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "AEP_", "S3_", "TF_STATE_"))}
    env.update(
        CDK=framework(os.environ),  # the framework the caller chose (make test-cdktn: cdktn)
        PATH=framework_path(os.environ, ROOT),
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        DISABLE_VERSION_CHECK="1",
        CDKTF_DISABLE_PLUGIN_CACHE_ENV="1",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        CI="1",
        FORCE_COLOR="0",
        NO_COLOR="1",
    )
    return env


def layered(*layers: Mapping[str, str | None] | None) -> dict[str, str]:
    """Environments merged left to right; a ``None`` value unsets the variable."""
    merged: dict[str, str | None] = {}
    for layer in layers:
        merged.update(layer or {})
    return {k: v for k, v in merged.items() if v is not None}


def run_command(args: list[str], cwd: Path, env: Mapping[str, str], timeout: float) -> Run:
    """Run to the end without a terminal (stdin closed, output captured), timed."""
    start = time.monotonic()
    proc = subprocess.run(args, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return Run(args, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def connections_of_state(state: Mapping[str, Any], resource_type: str = RESOURCE_TYPE) -> list[dict[str, Any]]:
    """The attributes of the managed objects of one type (default: base connections) recorded in one
    Terraform state document."""
    return [instance["attributes"] for resource in state.get("resources", [])
            if resource.get("type") == resource_type and resource.get("mode", "managed") == "managed"
            for instance in resource["instances"]]


@dataclass
class CdktfProject:
    """A copy of an app in ``folder``, wired to a provider mirror and a Flow Service."""

    folder: Path
    cli_config: Path
    env: dict[str, str] = field(default_factory=dict)
    app_file: Path = ROOT / "main.py"
    stacks: Sequence[str] = MAIN_STACKS

    @classmethod
    def fleet(cls, folder: Path, cli_config: Path, env: dict[str, str]) -> CdktfProject:
        """A copy of the fleet app (``FLEET_CONNECTIONS`` connections in stack ``s3-fleet``)."""
        return cls(folder, cli_config, env, app_file=FLEET_APP, stacks=(FLEET_STACK,))

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.app_name = self.app_file.name
        shutil.copy(self.app_file, self.folder / self.app_name)
        cdktf_json = json.loads((ROOT / "cdktf.json").read_text())
        cdktf_json["app"] = f"{sys.executable} {self.app_name}"
        (self.folder / "cdktf.json").write_text(json.dumps(cdktf_json, indent=2))
        self.mirror = self.cli_config.parent / "mirror"

    @property
    def stack(self) -> str:
        """The only stack (for single-stack apps)."""
        (only,) = self.stacks
        return only

    def stack_dir(self, stack: str | None = None) -> Path:
        return stack_dir(self.folder, stack or self.stack)

    def state_file(self, stack: str | None = None) -> Path:
        return self.folder / f"terraform.{stack or self.stack}.tfstate"

    def environment(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        return layered(base_environment(self.cli_config), self.env, extra)

    def run(self, args: list[str], extra_env: Mapping[str, str | None] | None = None, check: bool = True,
            cwd: Path | None = None, timeout: float = 600) -> Run:
        run = run_command(args, cwd or self.folder, self.environment(extra_env), timeout)
        if check and run.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {run.returncode}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
            )
        return run

    def start(self, args: list[str], extra_env: Mapping[str, str | None] | None = None) -> subprocess.Popen[str]:
        """Start a command in its own session (a terminal's process group), output to pipes."""
        return subprocess.Popen(args, cwd=self.folder, env=self.environment(extra_env), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                start_new_session=True)

    def lock(self, extra_env: Mapping[str, str | None] | None = None) -> None:
        """What `make` does once per machine: synth, then lock the provider from the mirror, for every
        stack the app synthesized (a sandbox may be spread over several)."""
        self.synth(extra_env)
        self.stacks = tuple(synthesized_stacks(self.folder))
        platform = terraform_platform()
        for stack in self.stacks:
            if not (self.stack_dir(stack) / ".terraform.lock.hcl").exists():
                lock(self.stack_dir(stack), self.mirror, self.environment(extra_env), platform)

    def stacks_command(self, verb: str, *stacks: str) -> list[str]:
        """``aep_iac.stacks`` (what `make deploy`/`make destroy` run) on every stack, or those named."""
        return [sys.executable, "-m", "aep_iac.stacks", verb, "--project", ".", *stacks]

    def synth(self, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        """Run the app directly (what `cdktf synth` does, minus 1 s of CLI start-up)."""
        return self.run([sys.executable, self.app_name], extra_env, check=check)

    @property
    def framework(self) -> str:
        return self.environment()["CDK"]

    @property
    def cli(self) -> Path:
        """The chosen framework's CLI (cdktf-cli or CDK Terrain's cdktn)."""
        return cli_bin(ROOT, self.framework) / self.framework

    def cdktf(self, *args: str, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        """The framework CLI itself, as a user would type it (``cdktf ...`` or ``cdktn ...``)."""
        return self.run([str(self.cli), *args], extra_env, check=check)

    def cdk(self, *args: str, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        """The CLI through :mod:`aep_iac.cdk`, as `make deploy` runs it."""
        return self.run([sys.executable, "-m", "aep_iac.cdk", *args], extra_env, check=check)

    def deploy_command(self) -> list[str]:
        """``deploy`` of every stack through :mod:`aep_iac.cdk`, as `make deploy` runs it."""
        return [sys.executable, "-m", "aep_iac.cdk", "deploy", *self.stacks, "--auto-approve"]

    def deploy(self, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        return self.run(self.deploy_command(), extra_env, check=check)

    def destroy(self, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        return self.cdk("destroy", *self.stacks, "--auto-approve", extra_env=extra_env, check=check)

    def terraform(self, *args: str, stack: str | None = None, extra_env: Mapping[str, str | None] | None = None,
                  check: bool = True) -> Run:
        """Plain terraform in the synthesized stack folder, with the state cdktf uses."""
        return self.run(["terraform", *args], extra_env, check=check, cwd=self.stack_dir(stack))

    def state(self, stack: str | None = None) -> dict[str, Any]:
        path = self.state_file(stack)
        return dict(json.loads(path.read_text())) if path.exists() and path.stat().st_size else {}

    def connections_in_state(self, stack: str | None = None,
                             resource_type: str = RESOURCE_TYPE) -> list[dict[str, Any]]:
        """Objects of one type (default: base connections) recorded in the state of ``stack``
        (default: every stack of the app)."""
        return [connection for name in ([stack] if stack else self.stacks)
                for connection in connections_of_state(self.state(name), resource_type)]


def interrupt(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> None:
    """What a terminal's Ctrl-C does: the signal to the whole foreground process group."""
    os.killpg(process.pid, sig)
