"""Attack: take a one-time personnummer token twice at the same moment.

Two takers race for each of 300 tokens: threads on separate SQLite connections, two
processes on the same file, and two asyncio tasks on separate Redis clients. A one-time read
that is a SELECT followed by a DELETE hands the number to both; each token must be given out
exactly once, and the loser must get nothing."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from redis.exceptions import RedisError

from common.identity_vault import IdentityVault, RedisIdentityVault, VaultSettings
from common.shared_state import RedisHandle, SharedState

TOKENS = 300
TOLVAN = "191212121212"
REDIS_URL = os.environ.get("ASSISTANT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _fill(vault: IdentityVault) -> list[str]:
    return [vault.put_now(TOLVAN) for _ in range(TOKENS)]


def test_two_threads_on_their_own_connections_take_each_token_once(tmp_path: Path) -> None:
    settings = VaultSettings(tmp_path / "vault.db", Fernet.generate_key())
    tokens = _fill(IdentityVault(settings))
    takers = [IdentityVault(settings), IdentityVault(settings)]
    got: list[list[str | None]] = [[], []]
    start = threading.Barrier(2)

    def take_all(index: int) -> None:
        start.wait()
        for token in tokens:
            got[index].append(takers[index].take_now(token))

    threads = [threading.Thread(target=take_all, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for position in range(TOKENS):
        pair = [got[0][position], got[1][position]]
        assert sorted(pair, key=str) == [TOLVAN, None], f"token {position} given out {pair}"


def _take_in_process(path: str, key: bytes, tokens: list[str], start: object,
                     out: object) -> None:
    vault = IdentityVault(VaultSettings(Path(path), key))
    start.wait()  # type: ignore[attr-defined]
    out.put([vault.take_now(token) is not None for token in tokens])  # type: ignore[attr-defined]


def test_two_processes_on_one_file_take_each_token_once(tmp_path: Path) -> None:
    settings = VaultSettings(tmp_path / "vault.db", Fernet.generate_key())
    tokens = _fill(IdentityVault(settings))
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_take_in_process,
                                 args=(str(settings.path), settings.key, tokens, start, out))
                 for _ in range(2)]
    for process in processes:
        process.start()
    results = [out.get(timeout=60), out.get(timeout=60)]
    for process in processes:
        process.join(timeout=30)

    counts = [results[0][i] + results[1][i] for i in range(TOKENS)]
    assert counts == [1] * TOKENS


@pytest.fixture
def shared() -> Iterator[SharedState]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except RedisError as error:
        pytest.fail(f"this test needs a Redis at {REDIS_URL} ({error})")
    prefix = f"test-{secrets.token_hex(6)}:"
    yield SharedState(REDIS_URL, prefix)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)
    client.close()


def test_two_redis_clients_take_each_token_once(shared: SharedState) -> None:
    settings = VaultSettings(Path("unused"), Fernet.generate_key())

    async def race() -> tuple[list[str], list[list[str | None]]]:
        putter = RedisIdentityVault(settings, RedisHandle(shared))
        tokens = [await putter.put(TOLVAN) for _ in range(TOKENS)]
        takers = [RedisIdentityVault(settings, RedisHandle(shared)) for _ in range(2)]

        async def take_all(vault: RedisIdentityVault) -> list[str | None]:
            return [await vault.take(token) for token in tokens]

        results = await asyncio.gather(*(take_all(vault) for vault in takers))
        return tokens, list(results)

    tokens, results = asyncio.run(race())
    for position in range(len(tokens)):
        pair = [results[0][position], results[1][position]]
        assert sorted(pair, key=str) == [TOLVAN, None], f"token {position} given out {pair}"
