"""A local S3 API for the demo: moto's S3 server in this process on 127.0.0.1, seeded from a folder.

`--local-s3 [FOLDER]` starts it and points the emulator's S3 endpoint at it, so `/test`,
`/explore` and the runs read real objects without AWS. FOLDER is laid out `<bucket>/<key>`; by
default the sample data shipped in the package (`seed/s3`). moto accepts any credentials here
(its IAM checks stay off), and its state lives in memory: a restart seeds it afresh.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .flowservice.connectivity import local_client

SAMPLE_DATA = Path(__file__).parent / "seed" / "s3"


class LocalS3:
    """`start()` returns the endpoint URL; `stop()` shuts the server down."""

    def __init__(self, seed_dir: Path = SAMPLE_DATA, port: int = 0) -> None:
        self.seed_dir = Path(seed_dir)
        self.port = port
        self._server: Any = None

    def start(self) -> str:
        if not self.seed_dir.is_dir():
            raise ValueError(f"--local-s3: {self.seed_dir} is not a folder of <bucket>/<key> files")
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise RuntimeError(f"--local-s3 needs moto[s3] with flask (the 'local' extra): {exc}") from None
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per S3 request on stderr
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        url = f"http://{host}:{port}"
        seed(url, self.seed_dir)
        return url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def seed(url: str, folder: Path) -> list[str]:
    """Create a bucket per top-level folder and put every file below it; the buckets, sorted."""
    client = local_client(url)
    buckets = sorted(p for p in folder.iterdir() if p.is_dir())
    for bucket in buckets:
        client.create_bucket(Bucket=bucket.name)
        for path in sorted(p for p in bucket.rglob("*") if p.is_file()):
            client.put_object(Bucket=bucket.name, Key=path.relative_to(bucket).as_posix(), Body=path.read_bytes())
    return [b.name for b in buckets]
