"""Synthesize an app and report declaration errors as a user reads them, not as a crash.

A CDKTF app is a Python program: an exception in it ends ``cdktf synth``/``deploy`` with a full
traceback, printed twice by the CLI, the useful line at the bottom. :func:`run` prints one block
per violation (construct path, prop, rule, value when not secret) once, and exits 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

import cdktf

from constructs_lib.errors import ConstructError


def report(error: ConstructError, out: TextIO) -> None:
    count = len(error.violations)
    out.write(f"The app's declarations break {count} rule{'s' if count != 1 else ''}; nothing was synthesized.\n\n")
    for violation in error.violations:
        out.write(violation.block() + "\n\n")


def run(build: Callable[[cdktf.App], object], out: TextIO | None = None) -> None:
    """``build(app)`` then ``app.synth()``; a :class:`ConstructError` becomes a report and exit status 1."""
    try:
        app = cdktf.App()
        build(app)
        app.synth()
    except ConstructError as error:
        report(error, out or sys.stderr)
        raise SystemExit(1) from None
