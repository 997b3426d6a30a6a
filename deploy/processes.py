"""One child process of the stack: started with its log file, waited for until it answers its
readiness URL, stopped, killed and started again (the fault tests do)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

Ready = Callable[[int, bytes], bool]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def answers_ok(status: int, _: bytes) -> bool:
    return status == 200


def json_status(expected: str) -> Ready:
    """`{"status": expected, ...}` with 200."""
    def ready(status: int, body: bytes) -> bool:
        if status != 200:
            return False
        try:
            return bool(json.loads(body).get("status") == expected)
        except (ValueError, AttributeError):
            return False
    return ready


def json_status_ok(status: int, body: bytes) -> bool:
    """`{"status": "ok", ...}` (the case backend's and the REST channel's health)."""
    return json_status("ok")(status, body)


def probe(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """(status, body) of a GET; (0, b"") if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())
    except (urllib.error.URLError, OSError, TimeoutError):
        return 0, b""


class ServiceError(RuntimeError):
    """A child process exited or did not become ready; the message names its log."""


class Service:
    def __init__(self, name: str, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str],
                 log: Path, port: int, ready_path: str = "/",
                 ready: Ready = answers_ok, user: str | None = None,
                 host: str = "127.0.0.1", announce: bool = True) -> None:
        self.name = name
        self.argv = list(argv)
        self.cwd = cwd
        self.env = dict(env)
        self.log = log
        self.port = port
        self.url = f"http://{host}:{port}"
        self._ready_url = self.url + ready_path
        self._ready = ready
        self._user = user
        # A "---- starting" line in the log before each start; off where every line must be
        # the process's own (JSON) output.
        self._announce = announce
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0  # time.monotonic() of the last start

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        if self.running:
            return
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            if self._announce:
                log.write(f"---- {time.strftime('%H:%M:%S')} starting {self.name}\n".encode())
                log.flush()
            self.started = time.monotonic()
            # A session of its own: Ctrl-C in the launcher's terminal reaches only the
            # launcher, which stops the children in order.
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL,
                                            start_new_session=True, user=self._user)

    def is_ready(self) -> bool:
        status, body = probe(self._ready_url)
        return self._ready(status, body)

    def raise_if_exited(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise ServiceError(f"{self.name} exited with {self.process.returncode}; "
                               f"see {self.log}")

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float, watching: Sequence[Service] = ()) -> float:
        """Seconds until ready; raises ServiceError if it or one of ``watching`` (the
        processes it needs) exits, or the time runs out."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            for service in (self, *watching):
                service.raise_if_exited()
            if self.is_ready():
                return time.monotonic() - started
            time.sleep(0.25)
        raise ServiceError(f"{self.name} not ready after {timeout:.0f} s; see {self.log}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Sends ``sig`` (default: SIGKILL, no clean-up) and waits for the exit."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)
            self.process.wait(timeout=60)

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
