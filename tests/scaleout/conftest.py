"""The scaled-out stack (deploy/stack.py) for the tests: two Rasa replicas, two action servers and
two case backends behind nginx, started once per test module.

``test_concurrency`` runs on the machine's PostgreSQL (a database of its own, dropped after)
and Redis (a key prefix of its own, deleted after), like ``python -m deploy.stack``;
``test_faults`` on private servers it may stop (tests/scaleout/servers.py). The SMS and voice
channels are on with test secrets and a fake Twilio REST API (tests/e2e's harness); the action
servers accept the test-only identity so that personal questions reach the case backends.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from deploy.settings import MODEL, StackSettings
from deploy.stack import ScaleOutStack
from tests.e2e.sms_harness import SmsTestSetup
from tests.e2e.voice_harness import VoiceTestSetup

MACHINE_POSTGRES = os.environ.get("SCALEOUT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
MACHINE_REDIS = os.environ.get("SCALEOUT_REDIS_URL", "redis://127.0.0.1:6379/0")
# Two replicas load their models at once; on a busy 2-core machine that takes minutes.
READY_SECONDS = 900.0


@dataclass
class RunningStack:
    stack: ScaleOutStack
    sms: SmsTestSetup
    voice: VoiceTestSetup


@contextmanager
def running_stack(postgres_server_url: str, redis_url: str) -> Iterator[RunningStack]:
    """The stack on a fresh database of ``postgres_server_url`` and a fresh key prefix of
    ``redis_url``; both removed afterwards."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` first")
    tag = secrets.token_hex(4)
    workdir = Path(tempfile.mkdtemp(prefix="mina-scaleout-test-"))
    sms = SmsTestSetup(workdir / "sms.db").start()
    voice = VoiceTestSetup(workdir / "voice.db", sms)
    prefix = f"scaleout-{tag}:"
    stack = ScaleOutStack(StackSettings(
        replicas=2, database_url=f"{postgres_server_url}/scaleout_{tag}", redis_url=redis_url,
        workdir=workdir, redis_prefix=prefix, drop_database=True,
        ready_timeout=READY_SECONDS,
        credentials={**sms.credentials(), **voice.credentials()},
        env={"ASSISTANT_TEST_IDENTITY": "on", "CASEBACKEND_BREAKER_RESET_SECONDS": "2",
             "IDENTITY_MAX_STARTS": "50", "IDENTITY_MAX_STARTS_PER_PERSON": "500",
             "BANKID_SIMULATOR_CONFIRM_SECONDS": "0.5"}))
    try:
        stack.start()
        sms.connect(stack.url)
        yield RunningStack(stack, sms, voice)
    finally:
        stack.stop()
        sms.stop()
        _forget_keys(redis_url, prefix)
        if not os.environ.get("SCALEOUT_KEEP_LOGS"):
            shutil.rmtree(workdir, ignore_errors=True)


def _forget_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=500):
            client.delete(key)
    except redis.RedisError:
        pass  # a private Redis already gone
    finally:
        client.close()


@pytest.fixture(scope="module")
def machine_stack() -> Iterator[RunningStack]:
    with running_stack(MACHINE_POSTGRES, MACHINE_REDIS) as running:
        yield running
