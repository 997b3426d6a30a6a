"""The BankID simulator, as BankID: a completed order does not block the next one (a person
identified on the web can call in at once); a waiting one still does."""

import asyncio

import pytest

from actions.identity.provider import AuthFlow, AuthRequest, AuthStatus, IdentityProviderError
from actions.identity.simulator import BankIdSimulator


def test_only_a_waiting_order_blocks_a_new_one() -> None:
    now = [0.0]
    simulator = BankIdSimulator(confirm_after=2, expire_after=30, clock=lambda: now[0])

    async def scenario() -> None:
        request = AuthRequest("191212121212", AuthFlow.PHONE, "Försäkringskassan")
        first = (await simulator.start(request)).order_ref
        with pytest.raises(IdentityProviderError, match="alreadyInProgress"):
            await simulator.start(request)
        now[0] = 3.0
        assert (await simulator.collect(first)).status is AuthStatus.COMPLETE
        second = (await simulator.start(request)).order_ref
        assert second != first
    asyncio.run(scenario())
