"""The real stack for the web chat's end-to-end and browser tests, on free loopback ports:
the case backend with the demo persons, the action server with the test-only identity path
on, and `rasa run` with the trained model and a credentials file that enables the web chat
with the test login. Reuses tests/e2e's backend helper and start-up approach.

Run alone (the browser tests do: web/tests/stack.mjs), it prints one JSON line with the
addresses when everything is up and stops everything when its stdin closes (Ctrl-D), on
SIGTERM or Ctrl-C. With ``--port 5005`` it is also a demo with the test login on:

    .venv/bin/python -m tests.web.stack [--port 5005]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.service_credentials import ServiceCredentials, without_credentials
from tests.ports import free_port
from tests.stack.assistant import (
    BIN,
    MODEL,
    ROOT,
    AssistantProcesses,
    Backend,
    action_server,
    rasa,
    rasa_endpoints,
    write_yaml,
)

ALLOWED_ORIGIN = "http://allowed.example"
TEST_RATE_LIMIT = {"messages": 12, "per_seconds": 60}
TEST_MAX_CHARS = 500


def webchat_credentials(extra_origins: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "socketio_path": "/webhooks/webchat/socket.io",
        "allowed_origins": [ALLOWED_ORIGIN, *extra_origins],
        "rate_limit": TEST_RATE_LIMIT,
        "max_message_chars": TEST_MAX_CHARS,
        "session_persistence": True,
        "history_limit": 100,
        "demo_pages": True,
        "test_login": True,
        "session_secret": "web-tests-" + os.urandom(12).hex(),
    }


@dataclass
class WebStack:
    base_url: str
    backend: Backend
    workdir: Path
    processes: AssistantProcesses | None = None

    @property
    def socketio_path(self) -> str:
        return str(webchat_credentials()["socketio_path"])

    def stop(self) -> None:
        self.backend.stop()
        if self.processes is not None:
            self.processes.stop()


def start_stack(workdir: Path, rasa_port: int | None = None,
                extra_origins: tuple[str, ...] = ()) -> WebStack:
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` first")
    rasa_port = rasa_port or free_port()
    actions_port, backend_port = free_port(), free_port()
    service_credentials = ServiceCredentials.generate()
    backend_env = {**without_credentials(os.environ), **service_credentials.backend_env(),
                   # This tree's case backend, whichever tree its venv was installed from.
                   "PYTHONPATH": str(ROOT / "casebackend" / "src"),
                   "CASEBACKEND_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cb.db'}",
                   "CASEBACKEND_HOST": "127.0.0.1", "CASEBACKEND_PORT": str(backend_port),
                   "TZ": "Europe/Stockholm"}
    backend = Backend(f"http://127.0.0.1:{backend_port}", service_credentials, backend_env,
                      workdir / "backend.log")
    backend.start()
    write_yaml(workdir / "endpoints.yml", rasa_endpoints(actions_port, workdir / "tracker.db"))
    credentials = {"rest": None, "connectors.ops.OpsInput": None,
                   "connectors.webchat.WebChatInput": webchat_credentials(extra_origins)}
    write_yaml(workdir / "credentials.yml", credentials)
    env = {**without_credentials(os.environ), **service_credentials.assistant_env(),
           "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false",
           "TF_CPP_MIN_LOG_LEVEL": "2", "CASEBACKEND_URL": backend.url,
           "ASSISTANT_TEST_IDENTITY": "on",
           "CASEBACKEND_BREAKER_RESET_SECONDS": "1", "TZ": "Europe/Stockholm"}
    stack = WebStack(f"http://127.0.0.1:{rasa_port}", backend, workdir)
    stack.processes = AssistantProcesses(
        action_server([str(BIN / "rasa"), "run", "actions", "--actions", "actions",
                       "--port", str(actions_port)], env, workdir / "actions.log", actions_port),
        rasa([str(BIN / "rasa"), "run", "--model", str(MODEL),
              "--endpoints", str(workdir / "endpoints.yml"),
              "--credentials", str(workdir / "credentials.yml"),
              "--interface", "127.0.0.1", "--port", str(rasa_port),
              # No HTTP API (readiness is the ops channel's /ready). CORS for any page, unlike
              # production (scripts/rasa_server.py): the browser test checks that a page from an
              # origin not allowed reaches the socket endpoint and is refused there.
              "--cors", "*"], env, workdir / "rasa.log", rasa_port))
    try:
        stack.processes.start(timeout=300)
    except BaseException:
        stack.stop()
        raise
    return stack


@contextmanager
def running_stack(workdir: Path, rasa_port: int | None = None,
                  extra_origins: tuple[str, ...] = ()) -> Iterator[WebStack]:
    stack = start_stack(workdir, rasa_port, extra_origins)
    try:
        yield stack
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help="Rasa's port (default: free)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--allow-origin", action="append", default=[],
                        help="another page origin that may embed the widget")
    # The browser tests close stdin to stop it; `make web-demo` may run without a terminal
    # (stdin closed from the start), so there only Ctrl-C or a signal stops it.
    parser.add_argument("--until-signal", action="store_true",
                        help="ignore stdin: stop on Ctrl-C or SIGTERM only")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="webchat-stack-"))
    workdir.mkdir(parents=True, exist_ok=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def watch_stdin() -> None:
        sys.stdin.read()  # returns when the parent closes our stdin (or Ctrl-D)
        stop()

    with running_stack(workdir, args.port, tuple(args.allow_origin)) as stack:
        print(json.dumps({"url": stack.base_url, "socketio_path": stack.socketio_path,
                          "allowed_origin": ALLOWED_ORIGIN, "workdir": str(workdir),
                          "rate_limit": TEST_RATE_LIMIT, "max_message_chars": TEST_MAX_CHARS}),
              flush=True)
        if args.until_signal:
            print(f"Demo page: {stack.base_url}/webhooks/webchat/demo/ (log in as a demo "
                  "person); Ctrl-C stops it.", flush=True)
        else:
            threading.Thread(target=watch_stdin, daemon=True).start()
        while not stopping:
            time.sleep(0.3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
