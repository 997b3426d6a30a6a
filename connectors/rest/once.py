"""A REST message sent again with the same ``message_id`` is answered, never processed twice.

A client that lost an answer (connection reset, a replica killed mid-turn, a 5xx, its own
timeout) sends the same message again with the same ``message_id``. Under the conversation's
lock (the agent's lock store: across replicas with ``bot.lock_store``), the tracker store is
asked whether the conversation already holds a user message with that id: if so, the bot
messages that followed it are the answer, sent again as the turn sent them; if not, the
message is processed, still under the same lock, as ``Agent.handle_message`` would. A retry
that arrives while the first attempt runs waits for it and gets its answer; a retry after a
replica died mid-turn (nothing stored: Rasa saves a turn's events together at its end) is
processed once. The check is made under the conversation's own lock, taken first, so that
messages keep their order of arrival (a lock of its own per message id, taken before it,
reordered bursts).

The SMS channel answers a repeated MessageSid once from a record of its own
(connectors/sms/store.py); here the tracker store is the record, so nothing more is written.
A ``message_id`` is the client's: unique per message of a conversation (a UUID).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
MAX_MESSAGE_ID_CHARS = 100


def replies_to(events: Iterable[Event], message_id: str) -> list[BotUttered] | None:
    """The bot messages after the user message ``message_id``, up to the next user message;
    None if no user message has that id."""
    replies: list[BotUttered] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event)
    return replies


async def handle_once(agent: Any, message: UserMessage, process: OnNewMessage) -> None:
    """``process(message)`` (Rasa's processor, called under the conversation's lock taken
    here) unless the tracker shows the message was handled; then its replies go to
    ``message.output_channel`` again."""
    async with agent.lock_store.lock(message.sender_id):
        tracker = await agent.tracker_store.retrieve(message.sender_id)
        earlier = None if tracker is None else replies_to(tracker.events, message.message_id)
        if earlier is None:
            await process(message)
            return
        for reply in earlier:
            await message.output_channel.send_response(message.sender_id, reply.message())
