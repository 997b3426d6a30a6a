"""Starts the action server and the Rasa server (embedded default) and stops both together.

Used by `make run`. Ports and hosts come from the environment (RASA_PORT, ACTIONS_PORT,
BIND_HOST); the defaults serve loopback only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT)


def main() -> int:
    host = os.environ.get("BIND_HOST", "127.0.0.1")
    rasa_port = os.environ.get("RASA_PORT", "5005")
    actions_port = os.environ.get("ACTIONS_PORT", "5055")
    (ROOT / "var").mkdir(exist_ok=True)
    processes = [
        _start([str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                "--port", actions_port]),
        _start([str(BIN / "rasa"), "run", "--model", "models/current.tar.gz",
                "--endpoints", "bot/endpoints.yml", "--credentials", "bot/credentials.yml",
                "--interface", host, "--port", rasa_port, "--enable-api", "--cors", "*"]),
    ]

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"Rasa on http://{host}:{rasa_port}, actions on :{actions_port}; Ctrl-C stops both.")
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait(timeout=30)
    return max(process.returncode or 0 for process in processes)


if __name__ == "__main__":
    sys.exit(main())
