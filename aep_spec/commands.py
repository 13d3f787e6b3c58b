"""How a message names a command the user types next: ``aep-iac <verb>``, the console command of the
installed distribution, or ``make <verb>`` in a checkout of this project, whose Makefile sets
``AEP_IAC_VIA=make`` (and calls the same console command).

One spelling per place: the construct library (at synth), the provider (at plan) and the console
all advise through :func:`command`, so a team that installed the distribution is never told to run
a make target it does not have.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

VIA_ENV: Final = "AEP_IAC_VIA"
CONSOLE: Final = "aep-iac"
#: The make targets' spelling of the console's two-word commands.
_MAKE_TARGETS: Final = {"local-aep start": "local-aep-start", "local-aep stop": "local-aep-stop"}


def via_make(environ: Mapping[str, str] | None = None) -> bool:
    return (os.environ if environ is None else environ).get(VIA_ENV, "").strip() == "make"


def command(verb: str, *, stacks: str | None = None, port: int | None = None,
            environ: Mapping[str, str] | None = None) -> str:
    """``verb`` as the user types it here, e.g. ``aep-iac destroy s3-dev`` or ``make destroy STACKS=s3-dev``."""
    if via_make(environ):
        return " ".join(["make", _MAKE_TARGETS.get(verb, verb), *([f"STACKS={stacks}"] if stacks else []),
                         *([f"PORT={port}"] if port is not None else [])])
    return " ".join([CONSOLE, verb, *([stacks] if stacks else []), *([f"--port {port}"] if port is not None else [])])
