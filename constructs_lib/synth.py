"""Synthesize an app and report declaration errors as a user reads them, not as a crash.

A CDKTF app is a Python program: an exception in it ends ``cdktf synth``/``deploy`` with a full
traceback, printed twice by the CLI, the useful line at the bottom. :func:`run` prints one block
per violation (construct path, prop, rule, value when not secret) once, and exits 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from constructs_lib.errors import ConstructError
from constructs_lib.framework import cdk


def report(error: ConstructError, out: TextIO) -> None:
    count = len(error.violations)
    out.write(f"The app's declarations break {count} rule{'s' if count != 1 else ''}; nothing was synthesized.\n\n")
    for violation in error.violations:
        out.write(violation.block() + "\n\n")


def project_context(config: Path = Path("cdktf.json"), environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """What the framework CLI would pass the app: the project's ``targetVersions`` (its Terraform
    floor, which CDK Terrain checks features against), when the app runs without the CLI."""
    if environ.get("CDKTF_CONTEXT_JSON") or not config.exists():
        return {}
    declared = json.loads(config.read_text()).get("targetVersions")
    return {"targetVersions": declared} if declared else {}


def run(build: Callable[[cdk.App], object], out: TextIO | None = None) -> None:
    """``build(app)`` then ``app.synth()``; a :class:`ConstructError` becomes a report and exit status 1."""
    try:
        app = cdk.App(context=project_context() or None)
        build(app)
        app.synth()
    except ConstructError as error:
        report(error, out or sys.stderr)
        raise SystemExit(1) from None
    except Exception as error:
        # The framework's own validations (e.g. CDK Terrain's Terraform floor) arrive as a
        # JavaScript error: print their lines, not the kernel's stack trace.
        lines = _framework_validation(error)
        if not lines:
            raise
        (out or sys.stderr).write("The framework refused the app:\n" + "\n".join(lines) + "\n")
        raise SystemExit(1) from None


def _framework_validation(error: Exception) -> list[str]:
    text = str(error)
    if "Validation failed with the following errors" not in text:
        return []
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("at "):
            break
        if stripped and not stripped.startswith(("@jsii/kernel", "Error: Validation failed")):
            kept.append(f"  {stripped}")
    return kept
