"""The SQLite call store: a call's phases, its answers sealed at rest and deleted when it
ends, the sweep of calls older than the longest call and of ended CallSids."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from connectors.voice.sealing import Sealer
from connectors.voice.state import CallPhase, CallState
from connectors.voice.store import VoiceStore

SID = "CA" + "3" * 32
ANSWER = "<Response><Say>Din nästa utbetalning är 12 345 kronor.</Say></Response>"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def store(tmp_path: Path, clock: Clock) -> VoiceStore:
    return VoiceStore(tmp_path / "voice.db", Sealer("s" * 32), clock)


def file_text(tmp_path: Path) -> bytes:
    return b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())


def test_answers_and_state_are_sealed_and_read_back(tmp_path: Path) -> None:
    clock = Clock()
    voice = store(tmp_path, clock)

    async def run() -> None:
        await voice.start_call(SID)
        assert await voice.phase(SID) is CallPhase.ACTIVE
        assert (await voice.begin_step(SID, 1)).first
        await voice.finish_step(SID, 1, ANSWER)
        await voice.save(SID, CallState("voice-x", choices=["/ask_next_payment"]))
        assert (await voice.begin_step(SID, 1)).twiml == ANSWER
        assert (await voice.answer(SID, 1)).twiml == ANSWER
        state = await voice.load(SID)
        assert state is not None and state.choices == ["/ask_next_payment"]
    asyncio.run(run())
    raw = file_text(tmp_path)
    assert b"12 345" not in raw and b"ask_next_payment" not in raw


def test_an_ended_call_keeps_no_answer_and_stays_over(tmp_path: Path) -> None:
    clock = Clock()
    voice = store(tmp_path, clock)

    async def run() -> None:
        await voice.start_call(SID)
        await voice.begin_step(SID, 1)
        await voice.finish_step(SID, 1, ANSWER)
        await voice.save(SID, CallState("voice-x"))
        assert await voice.end_call(SID)
        assert not await voice.end_call(SID)  # the status callback, retried
        assert await voice.phase(SID) is CallPhase.OVER
        assert not (await voice.answer(SID, 1)).known and await voice.load(SID) is None
        await voice.save(SID, CallState("voice-x"))  # a step still running at the end
        assert await voice.load(SID) is None
        await voice.start_call(SID)  # a replayed first request
        assert await voice.phase(SID) is CallPhase.OVER
    asyncio.run(run())
    with sqlite3.connect(tmp_path / "voice.db") as db:
        assert db.execute("select count(*) from voice_steps").fetchone() == (0,)
        assert db.execute("select state from voice_calls").fetchall() == [(None,)]


def test_the_sweep_ends_calls_older_than_four_hours_and_forgets_after_30_days(
        tmp_path: Path) -> None:
    clock = Clock()
    voice = store(tmp_path, clock)

    async def run() -> None:
        await voice.start_call(SID)
        await voice.begin_step(SID, 1)
        await voice.finish_step(SID, 1, ANSWER)
        clock.now += 4 * 3600 + 1
        assert await voice.phase(SID) is CallPhase.OVER  # even before any sweep
        await voice.start_call("CA" + "4" * 32)  # a later call's first request sweeps
        assert not (await voice.answer(SID, 1)).known
        assert await voice.phase(SID) is CallPhase.OVER
        clock.now += 30 * 86400
        voice.sweep()
        assert await voice.phase(SID) is CallPhase.NEW
    asyncio.run(run())
    with sqlite3.connect(tmp_path / "voice.db") as db:
        assert db.execute("select count(*) from voice_steps").fetchone() == (0,)


def test_tables_of_the_clear_text_version_are_dropped(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "voice.db") as db:
        db.execute("create table steps (call_sid text, step integer, twiml text, created real)")
        db.execute("insert into steps values ('CA1', 1, ?, 0)", (ANSWER,))
    store(tmp_path, Clock())
    with sqlite3.connect(tmp_path / "voice.db") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master")}
    assert "steps" not in tables
