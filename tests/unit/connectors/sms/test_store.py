import asyncio
import sqlite3
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from connectors.sms.conversations import ConversationIds, ConversationLocks
from connectors.sms.state import DEDUPE_RETENTION_SECONDS, NOTICE_STALE_SECONDS, Choice, TurnStart
from connectors.sms.store import SmsStore

T = TypeVar("T")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def test_a_message_sid_is_claimed_once_even_concurrently(tmp_path: Path) -> None:
    store = SmsStore(tmp_path / "sms.db")

    async def scenario() -> list[bool]:
        results = await asyncio.gather(*(store.claim_message("SM1", "sms-a") for _ in range(8)))
        results.append(await store.claim_message("SM2", "sms-a"))
        await store.close()
        return list(results)
    results = run(scenario())
    assert results[:8].count(True) == 1 and results[8] is True


def test_claims_survive_a_restart_and_expire_after_retention(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "sms.db"
    run(SmsStore(path, clock).claim_message("SM1", "sms-a"))
    again = SmsStore(path, clock)
    assert run(again.claim_message("SM1", "sms-a")) is False
    clock.now += DEDUPE_RETENTION_SECONDS + 1
    assert run(again.claim_message("SM1", "sms-a")) is True


def test_opt_out_and_back_in(tmp_path: Path) -> None:
    store = SmsStore(tmp_path / "sms.db")

    async def scenario() -> list[bool]:
        states = [await store.is_opted_out("sms-a")]
        await store.opt_out("sms-a", "stopp")
        await store.opt_out("sms-a", "stop")  # twice is fine
        states += [await store.is_opted_out("sms-a"), await store.is_opted_out("sms-b")]
        await store.opt_in("sms-a")
        states.append(await store.is_opted_out("sms-a"))
        return states
    assert run(scenario()) == [False, True, False, False]


def test_choices_are_replaced_cleared_and_expire(tmp_path: Path) -> None:
    clock = Clock()
    store = SmsStore(tmp_path / "sms.db", clock)
    offered = [Choice("Kom igång", "/get_started"), Choice("Ärende", "/ask_case_status")]

    async def scenario() -> list[list[Choice]]:
        await store.set_choices("sms-a", offered)
        seen = [await store.choices("sms-a", 60), await store.choices("sms-b", 60)]
        clock.now += 61
        seen.append(await store.choices("sms-a", 60))
        await store.set_choices("sms-a", offered[:1])
        seen.append(await store.choices("sms-a", 60))
        await store.set_choices("sms-a", [])
        seen.append(await store.choices("sms-a", 60))
        return seen
    assert run(scenario()) == [offered, [], [], offered[:1], []]


def test_notice_keys_send_once_but_a_failed_or_stale_one_again(tmp_path: Path) -> None:
    clock = Clock()
    store = SmsStore(tmp_path / "sms.db", clock)

    async def scenario() -> list[bool]:
        claims = [await store.claim_notice("k1"), await store.claim_notice("k1")]
        await store.finish_notice("k1", sent=True)
        claims.append(await store.claim_notice("k1"))
        claims.append(await store.claim_notice("k2"))
        await store.finish_notice("k2", sent=False)
        claims.append(await store.claim_notice("k2"))
        claims.append(await store.claim_notice("k3"))
        clock.now += NOTICE_STALE_SECONDS + 1  # claimed, then the process died
        claims.append(await store.claim_notice("k3"))
        return claims
    assert run(scenario()) == [True, False, False, True, True, True, True]


def test_outbound_status_is_kept_by_sid(tmp_path: Path) -> None:
    store = SmsStore(tmp_path / "sms.db")

    async def scenario() -> tuple[object, ...]:
        await store.record_outbound("SM9", "sms-a", "notice", "accepted")
        known = await store.update_outbound_status("SM9", "delivered", None)
        unknown = await store.update_outbound_status("SM8", "delivered", None)
        return known, unknown, await store.outbound_status("SM9")
    assert run(scenario()) == ("sms-a", None, ("delivered", None))


def test_no_phone_number_is_stored(tmp_path: Path) -> None:
    phone = "+46701234567"
    ids = ConversationIds("a-secret-of-sixteen-chars")
    store = SmsStore(tmp_path / "sms.db")

    async def scenario() -> None:
        cid = ids.of(phone)
        await store.claim_message("SM1", cid)
        await store.opt_out(cid, "stopp")
        await store.set_choices(cid, [Choice("A", "/a")])
        await store.record_outbound("SM2", cid, "notice", "accepted")
        await store.close()
    run(scenario())
    dump = "\n".join(sqlite3.connect(tmp_path / "sms.db").iterdump())
    assert "701234567" not in dump and ids.of(phone) in dump


def test_conversation_ids_are_opaque_stable_and_keyed() -> None:
    ids = ConversationIds("a-secret-of-sixteen-chars")
    cid = ids.of("+46701234567")
    assert cid == ids.of(" +46 70-123 45 67") and cid.startswith("sms-") and len(cid) == 36
    assert "701234567" not in cid
    assert cid != ids.of("+46701234568")
    assert cid != ConversationIds("another-secret-of-16-chars").of("+46701234567")


def test_locks_keep_arrival_order_and_are_dropped_when_idle() -> None:
    locks = ConversationLocks()
    order: list[int] = []

    async def turn(number: int, delay: float) -> None:
        async with locks.hold("sms-a"):
            await asyncio.sleep(delay)
            order.append(number)

    async def scenario() -> int:
        tasks = [asyncio.create_task(turn(n, d)) for n, d in enumerate([0.05, 0.0, 0.02, 0.0])]
        await asyncio.gather(*tasks)
        return locks.active()
    assert run(scenario()) == 0
    assert order == [0, 1, 2, 3]


def test_begin_turn_claims_and_reads_in_one_go(tmp_path: Path) -> None:
    clock = Clock()
    store = SmsStore(tmp_path / "sms.db", clock)
    offered = [Choice("Kom igång", "/get_started")]

    async def scenario() -> list[TurnStart]:
        await store.set_choices("sms-a", offered)
        await store.opt_out("sms-b", "stopp")
        starts = [await store.begin_turn("SM1", "sms-a", 60),
                  await store.begin_turn("SM1", "sms-a", 60),
                  await store.begin_turn("SM2", "sms-b", 60)]
        clock.now += 61
        starts.append(await store.begin_turn("SM3", "sms-a", 60))
        return starts
    assert run(scenario()) == [TurnStart(True, False, tuple(offered)),
                               TurnStart(False, False, ()),
                               TurnStart(True, True, ()),
                               TurnStart(True, False, ())]
