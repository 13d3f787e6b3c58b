"""Terraform's own share and our protocol layer's: the fleet's N objects with no API behind them.

* **terraform_data**: N of Terraform's built-in ``terraform_data`` resource (no plugin, no network),
  each holding a fleet connection's inputs, in one state with plain terraform.
* **terraform_data_k**: the same N spread over the k states of the sharded run (at most ``bound``
  each, evenly), through the runners ``make deploy``/``make plan``/``make destroy`` use, all at
  once within their bound, as the sharded fleet is.
* **trivial**: N ``benchtrivial_item`` (benchmarks/trivial_provider.py: our protocol layer, no
  API client, no API, the connection's schema) configured as the fleet configures its connections
  (write-only credentials from ephemeral variables included), in one state with plain terraform.

Each: create (apply), no-op (plan), rotation (apply with every object's session token version 2,
and for the trivial item the new token: an in-place update of each) and destroy. Their state per
object is about the fleet connection's (the create step records it). ``terraform init`` is set-up,
as for the fleet. No network, so the latency does not apply: each is measured once per N and
shown beside every latency.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aep_iac.apps import FLEET_STACK
from aep_iac.lock import OUT_DIR, stack_dir
from aep_iac.project import Run, base_environment, run_command
from aep_iac.stacks import WARM_ENV
from benchmarks import trivial_provider
from benchmarks.environment import CREDENTIALS, ROTATED
from benchmarks.step import Step, Steps, state_bytes
from benchmarks.toolchain_steps import TF_FLAGS, TIMEOUT, init_stacks
from constructs_lib.placement import stack_name


def inputs(index: int, version: int) -> dict[str, Any]:
    """A fleet connection's inputs but its secrets (aep_iac/apps/fleet.py), as plain values."""
    return {"name": f"fleet-{index:03d}", "description": f"Fleet connection {index}", "auth_spec_name": "Access Key",
            "bucket_name": f"fleet-bucket-{index % 7}", "folder_path": f"in/{index:03d}",
            "service_url": "https://s3.us-east-1.amazonaws.com", "access_key_wo_version": "1",
            "secret_key_wo_version": "1", "session_token_wo_version": str(version)}


DATA_INPUTS = ("name", "description", "bucket_name", "folder_path", "session_token_wo_version")
#: The fleet's credentials: ephemeral variables (TF_VAR_s3_*), sent as write-only values.
SECRETS = {"access_key_wo": "s3_access_key", "secret_key_wo": "s3_secret_key", "session_token_wo": "s3_session_token"}


def configuration(tool: str, indexes: range, version: int) -> dict[str, Any]:
    """A Terraform JSON configuration of one object per index: ``terraform_data`` holding a fleet
    connection's inputs, or the trivial item configured as the fleet configures a connection."""
    if tool == "trivial":
        secrets = {attribute: f"${{var.{variable}}}" for attribute, variable in SECRETS.items()}
        return {"terraform": {"required_providers": {trivial_provider.TYPE: {
                    "source": trivial_provider.SOURCE, "version": trivial_provider.VERSION}}},
                "variable": {variable: {"type": "string", "sensitive": True, "ephemeral": True, "nullable": True,
                                        "default": None} for variable in SECRETS.values()},
                "resource": {trivial_provider.RESOURCE: {f"fleet_{i:03d}": {**inputs(i, version), **secrets}
                                                         for i in indexes}}}
    # terraform_data stores its input twice (as output too): five of the inputs keep its state per
    # object about the connection's.
    return {"resource": {"terraform_data": {f"fleet_{i:03d}": {"input": {
        name: value for name, value in inputs(i, version).items() if name in DATA_INPUTS}} for i in indexes}}}


def spread(n: int, bound: int) -> list[range]:
    """``n`` indexes over ceil(n / bound) stacks, evenly (the earlier stacks one more), as placed."""
    count = max(1, math.ceil(n / bound))
    sizes = [n // count + (1 if i < n % count else 0) for i in range(count)]
    starts = [1 + sum(sizes[:i]) for i in range(count)]
    return [range(start, start + size) for start, size in zip(starts, sizes, strict=True)]


class _Offline(Steps):
    def __init__(self, folder: Path, n: int, cli_config: Path) -> None:
        super().__init__(folder, n, 0.0)
        self.env = base_environment(cli_config) | CREDENTIALS

    def run(self, args: list[str], cwd: Path, extra: dict[str, str], ok: tuple[int, ...] = (0,)) -> Run:
        run = run_command(args, cwd, self.env | extra, TIMEOUT)
        if run.returncode not in ok:
            raise AssertionError(f"{' '.join(args)} exited {run.returncode}\n{run.output[-4000:]}")
        return run


class OneState(_Offline):
    """Plain terraform on N objects in one state (``tool``: terraform_data or trivial)."""

    def __init__(self, tool: str, folder: Path, n: int, cli_config: Path) -> None:
        super().__init__(folder, n, cli_config)
        self.tool = tool
        self.plugin = tool == "trivial"
        self.work = self.scratch("work")

    def _write(self, version: int) -> None:
        (self.work / "main.tf.json").write_text(json.dumps(configuration(self.tool, range(1, self.n + 1), version)))

    def steps(self) -> list[Step]:
        work = self.work
        self._write(1)
        self.run(["terraform", "init", *TF_FLAGS], work, {})
        create = self.step("create", "terraform apply",
                           lambda env: self.run(["terraform", "apply", "-auto-approve", *TF_FLAGS], work, env))
        create.state_bytes = state_bytes([work / "terraform.tfstate"])
        steps = [create,
                 self.step("noop", "terraform plan -detailed-exitcode",
                           lambda env: self.run(["terraform", "plan", "-detailed-exitcode", *TF_FLAGS], work, env))]
        self._write(2)
        steps.append(self.step("rotate", "terraform apply (session token version 2)",
                               lambda env: self.run(["terraform", "apply", "-auto-approve", *TF_FLAGS], work, env),
                               ROTATED))
        steps.append(self.step("destroy", "terraform destroy",
                               lambda env: self.run(["terraform", "destroy", "-auto-approve", *TF_FLAGS], work, env),
                               ROTATED))
        return steps


class ManyStates(_Offline):
    """N ``terraform_data`` over the sharded run's k states, through aep_iac.stacks and aep_iac.plan."""

    tool = "terraform_data_k"
    plugin = False

    def __init__(self, folder: Path, n: int, cli_config: Path, bound: int) -> None:
        super().__init__(folder, n, cli_config)
        # No plugin to start: the runner's warm provider server would only add its own start-up.
        self.env[WARM_ENV] = "0"
        self.bound = bound
        self.project = self.scratch("project")
        self.stacks = {stack_name(FLEET_STACK, i): indexes for i, indexes in enumerate(spread(n, bound))}

    def _write(self, version: int) -> None:
        """What a synthesis leaves: a manifest naming the stacks, and each stack's configuration."""
        out = self.project / OUT_DIR
        out.mkdir(exist_ok=True)
        (out / "manifest.json").write_text(json.dumps({"stacks": {name: {} for name in self.stacks}}))
        for name, indexes in self.stacks.items():
            folder = stack_dir(self.project, name)
            # No provider to install: init leaves no .terraform, where aep_iac.stacks marks it done.
            (folder / ".terraform").mkdir(parents=True, exist_ok=True)
            (folder / "cdk.tf.json").write_text(json.dumps(configuration("terraform_data", indexes, version)))

    def steps(self) -> list[Step]:
        runner = [sys.executable, "-m", "aep_iac.stacks", "--project", "."]
        plan = [sys.executable, "-m", "aep_iac.plan", "--project", ".", "--out", "plan.md", "--json", "plan.json"]
        fields: dict[str, Any] = {"stacks": len(self.stacks), "bound": self.bound}
        self._write(1)
        init = round(init_stacks(self.project, list(self.stacks), self.env), 3)

        def command(args: list[str]) -> Callable[[dict[str, str]], Run]:
            return lambda env: self.run(args, self.project, env)

        create = self.step("create", "python -m aep_iac.stacks apply", command([*runner, "apply"]),
                           init_seconds=init, **fields)
        create.state_bytes = state_bytes([stack_dir(self.project, name) / "terraform.tfstate" for name in self.stacks])
        steps = [create,
                 self.step("noop", "python -m aep_iac.plan (exit 0: no changes)", command(plan), **fields)]
        self._write(2)
        steps.append(self.step("rotate", "python -m aep_iac.stacks apply (session token version 2)",
                               command([*runner, "apply"]), **fields))
        steps.append(self.step("destroy", "python -m aep_iac.stacks destroy", command([*runner, "destroy"]),
                               **fields))
        return steps
