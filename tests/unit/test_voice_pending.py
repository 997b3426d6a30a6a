"""A pending call step hands its answer straight to every request waiting for it."""

from __future__ import annotations

import asyncio

import pytest

from connectors.voice.pending import PendingStep

TWIML = "<Response><Hangup /></Response>"


def test_every_waiter_gets_the_answer_on_the_next_pass_of_the_loop() -> None:
    async def main() -> None:
        step = PendingStep()
        answers: list[str | None] = []

        async def request() -> None:
            answers.append(await step.wait(5.0))
        waiting = [asyncio.create_task(request()) for _ in range(3)]
        await asyncio.sleep(0)  # all three are waiting now
        step.resolve(TWIML)
        await asyncio.sleep(0)  # one pass: no chain of callbacks in between
        assert answers == [TWIML] * 3
        await asyncio.gather(*waiting)
        assert await step.wait(0.0) == TWIML  # a late request gets it at once
    asyncio.run(main())


def test_a_wait_that_times_out_leaves_the_step_to_finish() -> None:
    async def main() -> None:
        step = PendingStep()
        assert await step.wait(0.01) is None
        assert not step.done
        later = asyncio.create_task(step.wait(5.0))
        await asyncio.sleep(0)
        step.resolve(TWIML)
        assert await later == TWIML
    asyncio.run(main())


def test_a_cancelled_wait_does_not_touch_the_others() -> None:
    async def main() -> None:
        step = PendingStep()
        gone = asyncio.create_task(step.wait(5.0))
        kept = asyncio.create_task(step.wait(5.0))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
        step.resolve(TWIML)
        assert await kept == TWIML
        assert gone.cancelled()
    asyncio.run(main())


def test_a_failed_step_raises_its_error_in_every_waiter() -> None:
    async def main() -> None:
        step = PendingStep()
        waiting = asyncio.create_task(step.wait(5.0))
        await asyncio.sleep(0)
        step.fail(OSError("disk full"))
        with pytest.raises(OSError, match="disk full"):
            await waiting
        with pytest.raises(OSError, match="disk full"):
            await step.wait(5.0)
    asyncio.run(main())
