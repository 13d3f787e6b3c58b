"""A local S3 API for the S3 state backend: moto's S3 server in a child process on 127.0.0.1.

The child runs the local AEP's own local S3 (``aep_local.local_s3``, moto's
threaded server on a free port) with one empty bucket, prints its URL, and stops when its standard
input closes: when :meth:`StateBucket.stop` closes it, or when the benchmark dies. A child of its
own keeps moto's request handling off the benchmark process (which times the steps).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from benchmarks.environment import STATE_BUCKET

_CHILD = """
import sys
from pathlib import Path
from aep_local.local_s3 import LocalS3

s3 = LocalS3(Path(sys.argv[1]))
print(s3.start(), flush=True)
sys.stdin.read()
s3.stop()
"""


class StateBucket:
    """``with StateBucket() as url:`` an S3 endpoint holding the empty bucket ``STATE_BUCKET``."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="bench-s3-")
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        seed = Path(self._dir.name) / "seed"
        (seed / STATE_BUCKET).mkdir(parents=True)
        log = Path(self._dir.name) / "moto.log"
        with log.open("w") as err:
            self._proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(seed)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=err, text=True)
        assert self._proc.stdout is not None
        url = self._proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the local S3 server did not start: {url!r}\n{log.read_text()[-2000:]}")
        return url

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait(timeout=15)
        self._dir.cleanup()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
