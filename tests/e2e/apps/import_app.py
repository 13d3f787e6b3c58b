"""main.py's stack, adopting an existing connection with CDKTF's import_from (an `import` block)."""

from __future__ import annotations

import os

from cdktf import App

from main import STACK_NAME, S3BaseConnectionStack


def main() -> None:
    app = App()
    stack = S3BaseConnectionStack(app, STACK_NAME)
    stack.connection.import_from(os.environ["S3_IMPORT_CONNECTION_ID"])
    app.synth()


if __name__ == "__main__":
    main()
