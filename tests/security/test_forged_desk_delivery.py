"""Attack: write into a citizen's chat as if from the agent desk.

The attacker knows (or guesses) a web chat or SMS conversation id and posts an "agent"
message to ``/webhooks/agentdesk/deliver`` (a phishing link, "send me your BankID code"),
or ends the handoff through ``/resume``: with no token, a forged one, a token that differs
by its last character (a timing probe would work on it), and with the right token but an
old or guessed handoff id. Every attempt must be refused, the citizen must receive nothing,
the conversation's tracker must hold none of it, and the open handoff must stay open.
Runs the routes on a real Sanic server with the channels' outlets recorded
(tests/unit/connectors/agentdesk/routes_harness.py); no stack needed.
"""

from __future__ import annotations

from pathlib import Path

from tests.unit.connectors.agentdesk.routes_harness import (
    DELIVERY_TOKEN,
    Desk,
    RecordingOutlet,
    delivery,
    serve,
)

PHISHING = "Logga in här: https://fk-support.example/bankid"


def test_a_forged_delivery_reaches_no_one(tmp_path: Path) -> None:
    async def attack(desk: Desk) -> None:
        outlet = desk.outlets["web"]
        assert isinstance(outlet, RecordingOutlet)
        almost = DELIVERY_TOKEN[:-1] + ("x" if DELIVERY_TOKEN[-1] != "x" else "y")
        for token in (None, "", "Bearer", "forged", almost, DELIVERY_TOKEN + "x"):
            status, _ = await desk.post("deliver", delivery(PHISHING), token=token)
            assert status == 401
            status, _ = await desk.post("resume", {"conversation_id": "web-abc",
                                                   "handoff_id": "h-1",
                                                   "outcome": "resolved"}, token=token)
            assert status == 401
        # The right token, but not the conversation's open handoff.
        for handoff_id in ("h-0", "h-2", "*", ""):
            status, _ = await desk.post("deliver", delivery(PHISHING, handoff_id=handoff_id))
            assert status in (400, 404)
        assert outlet.delivered == [] and outlet.resumed_conversations == []
        assert desk.log.appended == []
        assert await desk.store.active("web-abc") is not None
    serve(tmp_path, attack)
