"""Talk to the running assistant from a terminal over its REST channel (`make chat`)."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
import uuid


def send(url: str, sender: str, text: str) -> list[dict[str, object]]:
    body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("REST_CHANNEL_TOKEN")
    if token:  # the REST channel's token, where one is configured (docs/security.md)
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return list(json.loads(response.read()))


def main() -> int:
    base = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
    url = f"{base}/webhooks/rest/webhook"
    sender = f"terminal-{uuid.uuid4().hex[:8]}"
    print("Skriv ett meddelande (Ctrl-D avslutar) / type a message (Ctrl-D quits)")
    for line in sys.stdin:
        for message in send(url, sender, line.strip()):
            print(f"> {message.get('text', '')}")
            buttons: list[dict[str, str]] = message.get("buttons") or []  # type: ignore[assignment]
            for number, button in enumerate(buttons, start=1):
                print(f"  [{number}] {button.get('title')} ({button.get('payload')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
