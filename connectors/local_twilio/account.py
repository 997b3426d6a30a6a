"""The local Twilio account of ``make run``: made once into var/, never valid at Twilio.

The account SID starts with 16 zeros (Twilio's are random), so a log line shows at a glance
that it is the local one. The file holds no personal data: the local phone numbers are fixed
placeholders from the range Sweden keeps for drama and examples (070-1740605 to -699).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

LOCAL_SID_PREFIX = "AC" + "0" * 16
# PTS's numbers for fiction and examples: never a subscriber's.
ASSISTANT_NUMBER = "+46701740605"
CALLER_NUMBER = "+46701740606"


@dataclass(frozen=True)
class LocalAccount:
    account_sid: str
    auth_token: str
    sms_secret: str
    voice_secret: str
    # Where Rasa is reached: the local "public" address the requests are signed for.
    public_base_url: str
    outbox_url: str
    assistant_number: str = ASSISTANT_NUMBER
    caller_number: str = CALLER_NUMBER

    @classmethod
    def new(cls, public_base_url: str, outbox_url: str) -> LocalAccount:
        return cls(account_sid=LOCAL_SID_PREFIX + secrets.token_hex(8),
                   auth_token=secrets.token_hex(16), sms_secret=secrets.token_hex(16),
                   voice_secret=secrets.token_hex(16), public_base_url=public_base_url,
                   outbox_url=outbox_url)

    def environment(self) -> dict[str, str]:
        """The channels' settings (bot/credentials.yml reads them from the environment)."""
        return {"TWILIO_ACCOUNT_SID": self.account_sid, "TWILIO_AUTH_TOKEN": self.auth_token,
                "TWILIO_SMS_FROM": self.assistant_number,
                "SMS_PUBLIC_BASE_URL": self.public_base_url,
                "SMS_CONVERSATION_SECRET": self.sms_secret,
                "VOICE_PUBLIC_BASE_URL": self.public_base_url,
                "VOICE_CONVERSATION_SECRET": self.voice_secret,
                "TWILIO_API_BASE_URL": self.outbox_url}


def is_local(account_sid: str) -> bool:
    return account_sid.startswith(LOCAL_SID_PREFIX)


def load_or_create(path: Path, public_base_url: str, outbox_url: str) -> LocalAccount:
    """The account kept in ``path``; its secrets survive restarts, its addresses follow the
    ports of this start."""
    if path.exists():
        stored = json.loads(path.read_text())
        account = LocalAccount(**{**stored, "public_base_url": public_base_url,
                                  "outbox_url": outbox_url})
    else:
        account = LocalAccount.new(public_base_url, outbox_url)
    path.write_text(json.dumps(asdict(account), indent=2) + "\n")
    os.chmod(path, 0o600)
    return account


def load(path: Path) -> LocalAccount:
    """The account of the running ``make run`` (for ``make sms`` / ``make call``)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: start the assistant with `make run` first")
    return LocalAccount(**json.loads(path.read_text()))
