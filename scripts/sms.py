"""Send SMS to the running assistant from this terminal, signed as Twilio signs them
(`make sms`; needs `make run` with the local Twilio account, connectors/local_twilio/).

Each line is one SMS from the local phone number; the answer is the webhook's TwiML. The
messages the assistant sends through Twilio's API (every personal answer, which never goes
into the webhook's reply; a slow answer, notices, the getting-started SMS of a call) land in
the local outbox and are shown as they arrive; after an SMS that the webhook did not answer,
the next prompt waits for them (up to ``ANSWER_WAIT_SECONDS``).
"""

from __future__ import annotations

import sys
import threading
import time
import urllib.error
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python scripts/...` without make's PYTHONPATH
    sys.path.insert(0, str(ROOT))

from connectors.local_twilio.client import (  # noqa: E402
    SmsClient,
    WebhookError,
    outbox_messages,
)
from connectors.local_twilio.terminal import (  # noqa: E402
    endpoint_from_account,
    prompted,
    wrapped,
)

ANSWER_WAIT_SECONDS = 15.0


class OutboxShown:
    """The outbox messages shown so far, for the watcher thread and the prompt alike."""

    def __init__(self, outbox_url: str, number: str, after: int) -> None:
        self._url, self._number, self._after = outbox_url, number, after
        self._lock = threading.Lock()

    def show_new(self) -> int:
        """Prints the messages not shown yet; how many."""
        with self._lock:
            try:
                messages = outbox_messages(self._url, self._number, self._after)
            except (urllib.error.URLError, OSError):
                return 0
            for message in messages:
                self._after = max(self._after, int(message["id"]))
                print(wrapped("assistant (outbox)", str(message["body"])), flush=True)
            return len(messages)

    def wait_for_answer(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.show_new():
                time.sleep(0.5)  # an answer of several SMS arrives close together
                self.show_new()
                return
            time.sleep(0.2)


def watch_outbox(shown: OutboxShown, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        shown.show_new()


def main() -> int:
    try:
        endpoint, account = endpoint_from_account()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    client = SmsClient(endpoint)
    print(f"SMS from {account.caller_number} to the assistant ({account.assistant_number}). "
          "Ctrl-D quits.")
    try:
        earlier = outbox_messages(account.outbox_url, account.caller_number)
    except (urllib.error.URLError, OSError):
        print(f"The local outbox ({account.outbox_url}) is not running: is `make run`?",
              file=sys.stderr)
        return 1
    for message in earlier[-5:]:
        when = time.strftime("%H:%M", time.localtime(float(message["sent_at"])))
        print(wrapped(f"outbox {when}", str(message["body"])))
    last = max((int(message["id"]) for message in earlier), default=0)
    stop = threading.Event()
    shown = OutboxShown(account.outbox_url, account.caller_number, last)
    threading.Thread(target=watch_outbox, daemon=True, args=(shown, stop)).start()
    try:
        while True:
            try:
                line = prompted("you> ")
            except EOFError:
                print()
                return 0
            if not line.strip():
                continue
            try:
                replies = client.send(line)
            except (WebhookError, OSError) as error:
                print(f"The assistant did not take the SMS: {error}", file=sys.stderr)
                continue
            for text in replies:
                print(wrapped("assistant", text))
            if not replies:  # a personal answer: sent through the API, into the outbox
                shown.wait_for_answer(ANSWER_WAIT_SECONDS)
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()


if __name__ == "__main__":
    sys.exit(main())
