"""The fleet app (aep_iac/apps/fleet.py) deployed the two ways the project knows, each step timed.

* :class:`ShardedSteps`, **deploy**: what ``make deploy``, ``make plan`` and ``make destroy`` run
  after synthesis, on the fleet app with ``FLEET_BOUND`` (its connections spread over stacks of
  at most that many): ``aep_iac.stacks apply`` (create), ``aep_iac.plan`` (no-op),
  ``aep_iac.stacks apply`` after rotating every session token, ``aep_iac.stacks destroy``,
  every stack at once within one bound of 10 Flow Service calls in flight. Synthesis (the app
  run, which ``make`` does first) is timed on its own, before create and before rotation, and
  reported beside the command's time, not in it.
* :class:`FleetSteps`, **terraform**: plain terraform in the one stack of the fleet app without
  ``FLEET_BOUND``: apply, ``plan -detailed-exitcode``, apply after re-synthesizing with token
  version 2, destroy (default ``-parallelism`` 10).

Each step starts with a cold IMS token cache (so each pays one token request, as the floor does)
and its own provider stats folder. Synthesis, the provider lock files and ``terraform init`` are
set-up, not in a step's time (init is timed on its own too: a first deploy pays it once).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aep_iac.lock import lock, stack_dir, synthesized_stacks
from aep_iac.mirror import terraform_platform
from aep_iac.project import CdktfProject, Run
from aep_iac.stacks import Runner, init_step
from aep_local.testing import LocalAep
from benchmarks.environment import IN_FLIGHT, ROTATED, UNROTATED, fleet_env
from benchmarks.step import Step, Steps, state_bytes, timed

TF_FLAGS = ("-input=false", "-no-color")
#: A command of N=1,000 at 150 ms takes minutes; a stuck one should not hold the benchmark for ever.
TIMEOUT = 3600.0


class FleetSteps(Steps):
    """One throw-away copy of the fleet app with ``n`` connections, pointed at one emulator at a time."""

    tool = "terraform"

    def __init__(self, folder: Path, cli_config: Path, n: int, latency_ms: float,
                 settings: Mapping[str, str] | None = None) -> None:
        super().__init__(folder, n, latency_ms)
        self.settings = dict(settings or {})  # FLEET_BOUND, the state backend...
        self.project = CdktfProject.fleet(folder / "app", cli_config, {})

    def use(self, server: LocalAep) -> None:
        """Point the project (and the next synthesis) at ``server``."""
        self.server = server
        self.project.env = fleet_env(server, self.scratch("token-cache"), self.n) | self.settings

    def run(self, args: list[str], env: Mapping[str, str]) -> Run:
        return self.project.run(args, env, timeout=TIMEOUT)

    def terraform(self, *args: str, env: Mapping[str, str], check: bool = True) -> Run:
        """Plain terraform in the one stack's folder."""
        return self.project.run(["terraform", *args], env, check=check, cwd=self.project.stack_dir(), timeout=TIMEOUT)

    def steps(self) -> list[Step]:
        """The four operations with plain terraform in the synthesized stack folder."""
        self.project.synth(UNROTATED)
        self.terraform("init", *TF_FLAGS, env=UNROTATED)

        def apply(env: dict[str, str]) -> Run:
            return self.terraform("apply", "-auto-approve", *TF_FLAGS, env=env)

        def plan(env: dict[str, str]) -> Run:
            run = self.terraform("plan", "-detailed-exitcode", *TF_FLAGS, env=env, check=False)
            if run.returncode != 0:  # 2: changes where there should be none
                raise AssertionError(f"terraform plan of the unchanged fleet exited {run.returncode}\n{run.output}")
            return run

        create = self.step("create", "terraform apply", apply, UNROTATED)
        create.state_bytes = state_bytes([self.project.state_file()])
        steps = [create, self.step("noop", "terraform plan -detailed-exitcode", plan, UNROTATED)]
        self.project.synth(ROTATED)
        steps.append(self.step("rotate", "terraform apply (session token version 2)", apply, ROTATED))
        steps.append(self.step("destroy", "terraform destroy",
                               lambda env: self.terraform("destroy", "-auto-approve", *TF_FLAGS, env=env), ROTATED))
        return steps


def init_stacks(project: Path, stacks: list[str], environ: Mapping[str, str]) -> float:
    """``terraform init`` of every stack as ``aep_iac.stacks`` would run it (so that it does not
    again), side by side within its bound; the seconds it took."""
    runner = Runner(project, environ, int(IN_FLIGHT["AEP_MAX_IN_FLIGHT"]))
    runs, seconds = timed(lambda: runner.run_all(
        stacks, lambda stack, _parallelism: init_step(stack_dir(project, stack), runner.environ)))
    failed = [run for run in runs if not run.ok]
    if failed or len(runs) != len(stacks):
        raise AssertionError("terraform init failed:\n" + "".join(line for run in failed for line in run.output))
    return seconds


class ShardedSteps(FleetSteps):
    """The fleet app with ``FLEET_BOUND=bound`` through the runners of `make deploy`/`plan`/`destroy`."""

    tool = "deploy"

    def __init__(self, folder: Path, cli_config: Path, n: int, latency_ms: float, bound: int,
                 backend: Mapping[str, str] | None = None) -> None:
        super().__init__(folder, cli_config, n, latency_ms, {"FLEET_BOUND": str(bound), **IN_FLIGHT, **(backend or {})})
        self.bound = bound
        self.backend = "s3" if backend else "local"
        self.warm_log = self.project.folder / ".run" / "warm-provider.log"

    def _synth(self, env: Mapping[str, str]) -> float:
        """The app run (what `make deploy` does first), timed; its stacks become the project's."""
        _, seconds = timed(lambda: self.project.synth(env))
        self.project.stacks = tuple(synthesized_stacks(self.project.folder))
        return round(seconds, 3)

    def prepare(self) -> tuple[float, float]:
        """Synthesis, then the set-up `make` does once: lock files and ``terraform init`` of every
        stack; (synthesis seconds, init seconds)."""
        project = self.project
        synth = self._synth(UNROTATED)
        platform = terraform_platform()
        for stack in project.stacks:  # once per machine: `make lock`'s provider lock files
            lock(project.stack_dir(stack), project.mirror, project.environment(UNROTATED), platform)
        init = round(init_stacks(project.folder, list(project.stacks), project.environment(UNROTATED)), 3)
        return synth, init

    def review(self, plan: list[str]) -> dict[str, Any]:
        """The plan of the N creates a pull request would show: how long Terraform took and how long
        writing the review took (plan.json's timings), and the sizes of plan.md and the comment."""
        run = self.project.run([*plan, "--comment", "plan-comment.md"], UNROTATED, check=False, timeout=TIMEOUT)
        if run.returncode != 2:  # every connection is new: changes
            raise AssertionError(f"the plan of {self.n} creates exited {run.returncode}\n{run.output[-3000:]}")
        doc = json.loads((self.project.folder / "plan.json").read_text())
        return {**doc["timings"], **{k: doc["review"][k] for k in ("plan_md_chars", "comment_chars", "complete")}}

    def steps(self) -> list[Step]:
        project = self.project
        synth, init = self.prepare()
        fields: dict[str, Any] = {"backend": self.backend, "stacks": len(project.stacks), "bound": self.bound}
        plan = [sys.executable, "-m", "aep_iac.plan", "--project", ".", "--out", "plan.md", "--json", "plan.json"]
        review = self.review(plan)

        create = self.step("create", "python -m aep_iac.stacks apply",
                           lambda env: self.run(project.stacks_command("apply"), env), UNROTATED,
                           synth_seconds=synth, init_seconds=init, **fields)
        create.state_bytes = state_bytes([project.state_file(stack) for stack in project.stacks])
        create.review = review
        steps = [create,
                 self.step("noop", "python -m aep_iac.plan (exit 0: no changes)", lambda env: self.run(plan, env),
                           UNROTATED, **fields)]
        synth = self._synth(ROTATED)
        steps.append(self.step("rotate", "python -m aep_iac.stacks apply (session token version 2)",
                               lambda env: self.run(project.stacks_command("apply"), env), ROTATED,
                               synth_seconds=synth, **fields))
        steps.append(self.step("destroy", "python -m aep_iac.stacks destroy",
                               lambda env: self.run(project.stacks_command("destroy"), env), ROTATED, **fields))
        return steps
