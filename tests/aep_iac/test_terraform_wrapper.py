"""The terraform wrapper against a stand-in terraform: exit codes, the run log, and the lock race."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aep_iac.cdk import wrapper_path
from aep_iac.terraform_wrapper import LOCK_RACE_ATTEMPTS, lock_timeout_set, lost_lock_race

#: What Terraform 1.11 printed when the S3 lock file it lost to was deleted before it read it.
RACE = """
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode:
412, RequestID: 1, HostID: 2, api error PreconditionFailed: At least one of the pre-conditions you specified
did not hold
unable to retrieve file from S3 bucket 'team-state' with key
'aep/s3-fleet.tfstate.tflock': operation error S3: GetObject, https response
error StatusCode: 404, RequestID: 3, HostID: 4, NoSuchKey:
"""
#: The same error while the lock is held: Terraform names the holder.
HELD = RACE.replace("unable to retrieve file", "Lock Info:\n  ID: 5\n  Who: alice@ci\nunable")

FAKE = """
import os, pathlib, sys
count = pathlib.Path(os.environ["FAKE_COUNT"])
runs = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(runs))
failures = int(os.environ["FAKE_FAILURES"])
if runs <= failures:
    sys.stderr.write(pathlib.Path(os.environ["FAKE_STDERR"]).read_text())
    sys.exit(1)
print("Apply complete!")
"""


Outcome = tuple[subprocess.CompletedProcess[str], int, list[dict[str, object]]]


def wrapped(tmp_path: Path, args: list[str], failures: int, stderr: str,
            extra: dict[str, str] | None = None) -> Outcome:
    """The wrapper's result, how many times the stand-in ran, and the run log."""
    fake = tmp_path / "terraform"
    fake.write_text(f"#!{sys.executable}\n{FAKE}")
    fake.chmod(0o755)
    message = tmp_path / "stderr.txt"
    message.write_text(stderr)
    count, log = tmp_path / "runs", tmp_path / "runs.jsonl"
    env = {"PATH": os.environ["PATH"], "TF_WRAPPED_BINARY": str(fake), "TF_RUN_LOG": str(log),
           "FAKE_COUNT": str(count), "FAKE_FAILURES": str(failures), "FAKE_STDERR": str(message)} | (extra or {})
    done = subprocess.run([str(wrapper_path()), *args],
                          env=env, capture_output=True, text=True, timeout=60)
    runs = [json.loads(line) for line in log.read_text().splitlines()]
    return done, int(count.read_text()), runs


def test_a_lost_lock_race_is_run_again_when_a_lock_timeout_is_set(tmp_path: Path) -> None:
    done, runs, log = wrapped(tmp_path, ["apply", "-lock-timeout=3m"], failures=2, stderr=RACE)
    assert (done.returncode, runs) == (0, 3)
    assert "Apply complete!" in done.stdout
    assert done.stderr.count("Error acquiring the state lock") == 2  # every attempt's error is still shown
    assert done.stderr.count("running it again") == 2
    assert [(e["event"], e.get("code"), e.get("attempts")) for e in log] == [("start", None, None), ("end", 0, 3)]


def test_the_lock_timeout_may_come_from_the_environment(tmp_path: Path) -> None:
    done, runs, _ = wrapped(tmp_path, ["apply"], failures=1, stderr=RACE,
                            extra={"TF_CLI_ARGS_apply": "-lock-timeout=180s"})
    assert (done.returncode, runs) == (0, 2)


def test_the_race_is_retried_a_bounded_number_of_times(tmp_path: Path) -> None:
    done, runs, log = wrapped(tmp_path, ["plan", "-lock-timeout=1m"], failures=99, stderr=RACE)
    assert (done.returncode, runs) == (1, LOCK_RACE_ATTEMPTS)
    assert log[-1]["code"] == 1


@pytest.mark.parametrize(("args", "stderr"), [
    (["apply"], RACE),                          # no lock timeout: Terraform's answer stands
    (["apply", "-lock-timeout=0s"], RACE),
    (["apply", "-lock-timeout=3m"], HELD),      # the lock is held: Terraform itself waited and gave up
    (["apply", "-lock-timeout=3m"], "Error: Invalid value for variable\n"),
])
def test_other_failures_are_not_run_again(tmp_path: Path, args: list[str], stderr: str) -> None:
    done, runs, _ = wrapped(tmp_path, args, failures=1, stderr=stderr)
    assert (done.returncode, runs) == (1, 1)
    assert " ".join(stderr.split()) in " ".join(done.stderr.split())


def test_the_race_is_recognised_by_its_words_not_its_line_breaks() -> None:
    assert lost_lock_race(" ".join(RACE.split()).encode())
    assert lost_lock_race(RACE.replace("PreconditionFailed", "ConditionalCheckFailedException").encode())
    assert not lost_lock_race(HELD.encode())
    assert lock_timeout_set([], "plan", {"TF_CLI_ARGS": "-lock-timeout=5m -no-color"})
    assert lock_timeout_set(["apply", "--lock-timeout", "30s"], "apply", {})
    assert not lock_timeout_set([], "plan", {"TF_CLI_ARGS_apply": "-lock-timeout=5m"})
