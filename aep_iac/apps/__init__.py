"""App files for throw-away projects: the shapes tests and benchmarks deploy besides main.py."""

from pathlib import Path
from typing import Final

#: N connections in one sandbox stack (``FLEET_CONNECTIONS``): the interrupt tests and the benchmarks.
FLEET_APP: Final = Path(__file__).resolve().parent / "fleet.py"
FLEET_STACK: Final = "s3-fleet"
