"""A message names the command the user types where they are: aep-iac's, or this checkout's make target."""

from __future__ import annotations

from aep_spec.commands import VIA_ENV, command


def test_the_console_spelling_is_the_default() -> None:
    assert command("destroy", stacks="s3-dev", environ={}) == "aep-iac destroy s3-dev"
    assert command("local-aep start", port=8799, environ={}) == "aep-iac local-aep start --port 8799"
    assert command("plan", environ={VIA_ENV: "other"}) == "aep-iac plan"


def test_the_makefile_spelling_names_its_targets_and_variables() -> None:
    make = {VIA_ENV: "make"}
    assert command("destroy", stacks="s3-dev", environ=make) == "make destroy STACKS=s3-dev"
    assert command("local-aep start", port=8799, environ=make) == "make local-aep-start PORT=8799"
    assert command("local-aep stop", environ=make) == "make local-aep-stop"
    assert command("demo", environ=make) == "make demo"
