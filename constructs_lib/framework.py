"""The one place the CDK framework is chosen: CDKTF 0.21 (``cdktf``, the default) or its maintained
continuation CDK Terrain (``cdktn``), which keeps CDKTF's class names.

``CDK=cdktn`` selects CDK Terrain (the Makefile and ``aep_iac`` set it when that toolchain is
chosen); unset, CDKTF. Every module of the library and the app take the framework from here, so
a stack never mixes the two (a CDKTF stack in a CDK Terrain app silently loses its outputs).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Final

FRAMEWORKS: Final = ("cdktf", "cdktn")


def chosen(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    name = environ.get("CDK", "").strip() or "cdktf"
    if name not in FRAMEWORKS:
        raise ImportError(f"CDK={name!r}: choose cdktf (CDKTF 0.21, the default) or cdktn (CDK Terrain)")
    return name


NAME: Final = chosen()
# jsii prints its Node end-of-life banner through Python as raw bytes (b'!!...'), burying synth's own
# messages; CDKTF 0.21 runs on Node 20, so that banner is silenced (a later Node's is not).
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

if TYPE_CHECKING:
    import cdktf as cdk
else:
    cdk = importlib.import_module(NAME)

__all__ = ["FRAMEWORKS", "NAME", "cdk", "chosen"]
