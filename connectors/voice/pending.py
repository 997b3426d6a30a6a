"""A call step being answered in this process, and the requests waiting for its answer.

The step runs in a task of its own (Twilio's request may give up; the answer must still be
stored), and the webhook request waits for it at most the time budget. The task hands its
answer straight to the waiters: each wait is one future the task resolves, where
``asyncio.wait_for(asyncio.shield(task))`` goes through three callbacks (task, shield, wait),
each a trip round the event loop behind every other ready request, which under load costs a
voice turn more than the rest of the channel's work.
"""

from __future__ import annotations

import asyncio


class PendingStep:
    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self._twiml: str | None = None
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self._twiml is not None or self._error is not None

    def resolve(self, twiml: str) -> None:
        self._twiml = twiml
        self._wake_all()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._wake_all()

    async def wait(self, timeout: float) -> str | None:
        """The answer, or None if it is not ready within ``timeout`` seconds; the step's
        error if it failed. A cancelled wait leaves the step and other waiters alone."""
        if not self.done:
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            timer = loop.call_later(timeout, _wake, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiters.discard(waiter)
        if self._error is not None:
            raise self._error
        return self._twiml

    def _wake_all(self) -> None:
        for waiter in self._waiters:
            _wake(waiter)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
