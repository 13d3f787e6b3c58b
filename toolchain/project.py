"""Drive the real toolchain (cdktf-cli -> terraform -> our provider) in a throw-away project copy.

Each user (a test, a benchmark) gets its own folder with the real `main.py` (or a variant), its
own provider mirror and CLI config and its own state, so nothing touches the developer's
`make demo` state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowservice_spec.identity import S3_BASE_CONNECTION
from toolchain.lock import lock
from toolchain.mirror import install

#: The project's own checkout: where main.py, cdktf.json and node_modules live.
ROOT = Path(__file__).resolve().parent.parent
STACK = "s3-base-connection"
CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"
RESOURCE_TYPE = S3_BASE_CONNECTION


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


@dataclass
class CdktfProject:
    """A copy of the app in ``folder``, wired to a provider mirror and a Flow Service."""

    folder: Path
    cli_config: Path
    env: dict[str, str] = field(default_factory=dict)
    app_file: Path = ROOT / "main.py"

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "main.py", self.folder / "main.py")
        self.app_name = "main.py"
        if self.app_file != ROOT / "main.py":  # a variant app that builds on main.py's stack
            self.app_name = "app.py"
            shutil.copy(self.app_file, self.folder / self.app_name)
        cdktf_json = json.loads((ROOT / "cdktf.json").read_text())
        cdktf_json["app"] = f"{sys.executable} {self.app_name}"
        (self.folder / "cdktf.json").write_text(json.dumps(cdktf_json, indent=2))
        self.mirror = self.cli_config.parent / "mirror"

    @property
    def stack_dir(self) -> Path:
        return self.folder / "cdktf.out" / "stacks" / STACK

    @property
    def state_file(self) -> Path:
        return self.folder / f"terraform.{STACK}.tfstate"

    def environment(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_VAR_", "AEP_", "S3_"))}
        env.update(
            PATH=f"{ROOT / 'node_modules' / '.bin'}:{env.get('PATH', '')}",
            TF_CLI_CONFIG_FILE=str(self.cli_config),
            CHECKPOINT_DISABLE="1",
            DISABLE_VERSION_CHECK="1",
            CDKTF_DISABLE_PLUGIN_CACHE_ENV="1",
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
            CI="1",
            FORCE_COLOR="0",
            NO_COLOR="1",
        )
        merged: dict[str, str | None] = {**env, **self.env, **(extra or {})}
        return {k: v for k, v in merged.items() if v is not None}  # None in extra unsets a variable

    def run(self, args: list[str], extra_env: Mapping[str, str | None] | None = None, check: bool = True,
            cwd: Path | None = None, timeout: float = 300) -> Run:
        start = time.monotonic()
        proc = subprocess.run(args, cwd=cwd or self.folder, env=self.environment(extra_env),
                              capture_output=True, text=True, timeout=timeout)
        run = Run(args, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return run

    def lock(self, extra_env: Mapping[str, str | None] | None = None) -> None:
        """What `make` does once per machine: synth, then lock the provider from the mirror."""
        self.synth(extra_env)
        lock(self.stack_dir, self.mirror, self.environment(extra_env))

    def synth(self, extra_env: Mapping[str, str | None] | None = None) -> Run:
        """Run the app directly (what `cdktf synth` does, minus 1 s of CLI start-up)."""
        return self.run([sys.executable, self.app_name], extra_env)

    def cdktf(self, *args: str, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        return self.run([str(CDKTF), *args], extra_env, check=check)

    def deploy(self, extra_env: Mapping[str, str | None] | None = None) -> Run:
        return self.cdktf("deploy", STACK, "--auto-approve", extra_env=extra_env)

    def terraform(self, *args: str, extra_env: Mapping[str, str | None] | None = None, check: bool = True) -> Run:
        """Plain terraform in the synthesized stack folder, with the state cdktf uses."""
        return self.run(["terraform", *args], extra_env, check=check, cwd=self.stack_dir)

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    def connections_in_state(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for resource in self.state().get("resources", []):
            if resource.get("type") == RESOURCE_TYPE:
                found.extend(instance["attributes"] for instance in resource["instances"])
        return found
