"""The case backend as a child process, for the scaled-out stack and the test and benchmark
harnesses: its database made (Alembic) and filled with the demo persons, then served by its own
venv's Python; ready once ``GET /health`` answers ``{"status": "ok"}``. The environment (the
database, the port, the credentials) is the caller's."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from deploy.processes import Service, ServiceError, json_status_ok
from deploy.settings import BACKEND_PY, ROOT

BACKEND_DIR = ROOT / "casebackend"


def prepare_demo_database(env: Mapping[str, str]) -> None:
    """Migrates the database ``env`` names and loads the demo data (both idempotent)."""
    for step in (["-m", "alembic", "upgrade", "head"], ["-m", "casebackend.demo"]):
        done = subprocess.run([str(BACKEND_PY), *step], cwd=BACKEND_DIR, env=dict(env),
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise ServiceError(f"case backend {' '.join(step[1:])} failed:\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def case_backend_service(env: Mapping[str, str], log: Path, port: int, *,
                         name: str = "case backend", host: str = "127.0.0.1",
                         announce: bool = True) -> Service:
    return Service(name, [str(BACKEND_PY), "-m", "casebackend"], cwd=BACKEND_DIR, env=env,
                   log=log, port=port, ready_path="/health", ready=json_status_ok, host=host,
                   announce=announce)
