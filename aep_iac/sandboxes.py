"""Print the sandboxes main.py declares, comma-separated: the local AEP of `make demo`
knows exactly those (one source: the app itself)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path


def names(app_file: Path) -> list[str]:
    """The ``SANDBOXES`` of an app file, read without synthesizing it."""
    app = runpy.run_path(str(app_file), run_name="app_declarations")
    return [sandbox.name for sandbox in app["SANDBOXES"]]


if __name__ == "__main__":
    print(",".join(names(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd() / "main.py")))
