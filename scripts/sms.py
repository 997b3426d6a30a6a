"""Send SMS to the running assistant from this terminal, signed as Twilio signs them
(`make sms`; needs `make run` with the local Twilio account, connectors/local_twilio/).

Each line is one SMS from the local phone number; the answer is the webhook's TwiML. The
messages the assistant sends later through Twilio's API (a slow answer, notices, the
getting-started SMS of a call) land in the local outbox and are shown as they arrive.
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


def watch_outbox(outbox_url: str, number: str, after: int, stop: threading.Event) -> None:
    while not stop.wait(0.5):
        try:
            messages = outbox_messages(outbox_url, number, after)
        except (urllib.error.URLError, OSError):
            continue
        for message in messages:
            after = max(after, int(message["id"]))
            print(wrapped("assistant (sent later, outbox)", str(message["body"])), flush=True)


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
    threading.Thread(target=watch_outbox, daemon=True,
                     args=(account.outbox_url, account.caller_number, last, stop)).start()
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
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()


if __name__ == "__main__":
    sys.exit(main())
