"""`cdktf deploy` and plain `terraform` on the fleet app (toolchain/apps/fleet.py), each step timed.

The cdktf steps run through toolchain.cdk, as `make deploy` does; the terraform steps run plain
terraform in the stack folder cdktf synthesized, on a fresh emulator. Each step starts with a
cold IMS token cache (so each pays one token request, as the floor does) and its own provider
stats folder. Synthesis and `terraform init` are set-up, not timed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from benchmarks import providerstats
from benchmarks.environment import ROTATED, UNROTATED, fleet_env
from benchmarks.step import Step, measure
from flowservice_client.ims import CACHE_DIR_ENV
from flowservice_provider.protocol.stats import STATS_DIR_ENV
from local_flowservice.testing import LocalFlowService
from toolchain.apps import FLEET_STACK as STACK
from toolchain.project import CdktfProject, Run

TF_FLAGS = ("-input=false", "-no-color")


class FleetSteps:
    """One throw-away copy of the fleet app with ``n`` connections, pointed at one emulator at a time."""

    def __init__(self, folder: Path, cli_config: Path, n: int, latency_ms: float) -> None:
        self.folder = folder
        self.n = n
        self.latency_ms = latency_ms
        self.project = CdktfProject.fleet(folder / "app", cli_config, {})
        self._server: LocalFlowService | None = None
        self._made = 0

    def use(self, server: LocalFlowService) -> None:
        """Point the project (and the next synthesis) at ``server``."""
        self._server = server
        self.project.env = fleet_env(server, self._scratch("token-cache"), self.n)

    def _scratch(self, name: str) -> Path:
        self._made += 1
        path = self.folder / f"{self._made:02d}-{name}"
        path.mkdir(parents=True)
        return path

    def _step(self, tool: str, operation: str, command: str, run: Callable[[dict[str, str]], Run],
              extra: Mapping[str, str] | None = None) -> Step:
        assert self._server is not None, "use(server) first"
        stats = self._scratch(f"{tool}-{operation}-stats")
        env = {**(extra or {}), STATS_DIR_ENV: str(stats),
               CACHE_DIR_ENV: str(self._scratch(f"{tool}-{operation}-token-cache"))}
        _, seconds, seen = measure(self._server, lambda: run(env))
        return Step(tool, operation, self.n, self.latency_ms, command, round(seconds, 3), seen["calls"],
                    seen["failed"], seen["peak_in_flight"], providerstats.collect(stats))

    def cdktf(self) -> list[Step]:
        """create (deploy), no-op (diff), rotation (deploy, token version 2), destroy."""
        project = self.project
        project.lock()  # synth + provider lock file: what `make` does once, not part of a deploy
        return [
            self._step("cdktf", "create", f"cdktf deploy {STACK}", lambda env: project.deploy(env)),
            self._step("cdktf", "noop", f"cdktf diff {STACK}", lambda env: project.cdk("diff", STACK, extra_env=env)),
            self._step("cdktf", "rotate", f"cdktf deploy {STACK} (session token version 2)",
                       lambda env: project.deploy(env), ROTATED),
            self._step("cdktf", "destroy", f"cdktf destroy {STACK}", lambda env: project.destroy(env), ROTATED),
        ]

    def terraform(self) -> list[Step]:
        """The same four operations with plain terraform in the synthesized stack folder."""
        project = self.project
        project.synth(UNROTATED)
        project.terraform("init", *TF_FLAGS)

        def apply(env: dict[str, str]) -> Run:
            return project.terraform("apply", "-auto-approve", *TF_FLAGS, extra_env=env)

        def plan(env: dict[str, str]) -> Run:
            run = project.terraform("plan", "-detailed-exitcode", *TF_FLAGS, extra_env=env, check=False)
            if run.returncode != 0:  # 2: changes where there should be none
                raise AssertionError(f"terraform plan of the unchanged fleet exited {run.returncode}\n{run.output}")
            return run

        steps = [self._step("terraform", "create", "terraform apply", apply, UNROTATED),
                 self._step("terraform", "noop", "terraform plan -detailed-exitcode", plan, UNROTATED)]
        project.synth(ROTATED)
        steps.append(self._step("terraform", "rotate", "terraform apply (session token version 2)", apply, ROTATED))
        steps.append(self._step("terraform", "destroy", "terraform destroy",
                                lambda env: project.terraform("destroy", "-auto-approve", *TF_FLAGS, extra_env=env),
                                ROTATED))
        return steps
