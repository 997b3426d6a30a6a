"""Call the running assistant from this terminal as Twilio would (`make call`; needs
`make run` with the local Twilio account, connectors/local_twilio/).

The TwiML is followed (Gather, Say, Redirect, Dial, Hangup). Type keys for the keypad
(digits, * and #) or a line of text for speech; an empty line is silence. What the bot says
is shown with its voice and language, and spoken where espeak-ng is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python scripts/...` without make's PYTHONPATH
    sys.path.insert(0, str(ROOT))

from connectors.local_twilio.client import CallClient, WebhookError, answer  # noqa: E402
from connectors.local_twilio.terminal import (  # noqa: E402
    Speaker,
    endpoint_from_account,
    prompted,
    show_step,
)


def main() -> int:
    try:
        endpoint, account = endpoint_from_account()
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    speaker = Speaker()
    call = CallClient(endpoint)
    print(f"Calling the assistant ({account.assistant_number}) from "
          f"{account.caller_number}. Keys: digits, * and #; anything else is speech; an "
          "empty line is silence; Ctrl-D hangs up."
          + ("" if speaker.available else " (Install espeak-ng to hear it.)"))
    try:
        steps = call.start()
        while True:
            for step in steps:
                show_step(step, speaker)
            if call.last is None or call.last.ended:
                return 0
            try:
                line = prompted("caller> ")
            except EOFError:
                call.hang_up()
                print("\n[you hung up]")
                return 0
            steps = answer(call, line)
    except KeyboardInterrupt:
        call.hang_up()
        return 0
    except (WebhookError, OSError) as error:
        print(f"The call failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
