"""Run a GitHub Actions workflow's own shell steps, in order, on this machine.

What the file says is what runs: each job's ``env`` (workflow, job and step level) with its
``${{ secrets.* }}``, ``${{ vars.* }}`` and ``${{ github.* }}`` expressions filled in from the test's
values, each ``run:`` script under bash, ``if:`` conditions on earlier steps' outputs, and
``$GITHUB_OUTPUT``. ``uses:`` steps (checkout, tool set-up, artifact upload) are the CI system's
business and are skipped: this machine already has what they install.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
_CONDITION = re.compile(r"^steps\.([\w-]+)\.outputs\.([\w-]+)\s*(==|!=)\s*'([^']*)'$")


@dataclass
class StepResult:
    name: str
    returncode: int
    output: str
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Workflow:
    path: Path
    doc: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.doc = yaml.safe_load(self.path.read_text())

    def job(self, name: str) -> dict[str, Any]:
        job: dict[str, Any] = self.doc["jobs"][name]
        return job

    def run_job(self, name: str, cwd: Path, values: Mapping[str, str], base_env: Mapping[str, str],
                overrides: Mapping[str, str] | None = None, tmp: Path | None = None) -> list[StepResult]:
        """Run the job's ``run:`` steps; stop at the first failing one, as the CI system would."""
        job = self.job(name)
        env = dict(base_env)
        env.update({k: _fill(str(v), values) for k, v in (self.doc.get("env") or {}).items()})
        env.update({k: _fill(str(v), values) for k, v in (job.get("env") or {}).items()})
        env.update(overrides or {})
        results: list[StepResult] = []
        outputs: dict[str, dict[str, str]] = {}
        for index, step in enumerate(job["steps"]):
            if "run" not in step:
                continue
            condition = step.get("if")
            if condition and not _holds(str(condition), outputs):
                continue
            output_file = (tmp or cwd) / f"github-output-{name}-{index}"
            output_file.write_text("")
            step_env = dict(env, GITHUB_OUTPUT=str(output_file))
            step_env.update({k: _fill(str(v), values) for k, v in (step.get("env") or {}).items()})
            earlier = {f"steps.{s}.outputs.{k}": v for s, found in outputs.items() for k, v in found.items()}
            script = _fill(str(step["run"]), {**values, **earlier})
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=step_env,
                                  capture_output=True, text=True, timeout=1200, stdin=subprocess.DEVNULL)
            step_outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
            if "id" in step:
                outputs[step["id"]] = step_outputs
            results.append(StepResult(str(step.get("name", script[:40])), done.returncode,
                                      done.stdout + done.stderr, step_outputs))
            if done.returncode != 0:
                break
        return results


def _fill(text: str, values: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression not in values:
            raise KeyError(f"the test gives no value for ${{{{ {expression} }}}}")
        return values[expression]

    return _EXPRESSION.sub(value, text)


def _holds(condition: str, outputs: Mapping[str, Mapping[str, str]]) -> bool:
    """A step's ``if:``: comparisons of earlier steps' outputs joined by ``&&`` and ``||`` (``&&``
    binding first, as in GitHub's expressions)."""
    alternatives = []
    for alternative in condition.split("||"):
        results = []
        for part in alternative.split("&&"):
            match = _CONDITION.match(part.strip())
            if match is None:
                raise ValueError(f"condition not understood by the test runner: {condition!r}")
            step, key, operator, expected = match.groups()
            value = outputs.get(step, {}).get(key, "")
            results.append(value == expected if operator == "==" else value != expected)
        alternatives.append(all(results))
    return any(alternatives)


def environment_without_secrets() -> dict[str, str]:
    """This process's environment minus anything that would stand in for the workflow's settings."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AEP_", "TF_", "AWS_", "GITHUB_", "GH_"))}
