"""``make sms`` and ``make call`` in a terminal: what the bot says, and its voice if possible."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from connectors.local_twilio.account import LocalAccount, load
from connectors.local_twilio.client import TwilioEndpoint
from connectors.local_twilio.twiml import Said, VoiceStep


def account_file() -> Path:
    """The running `make run`'s local account (in ASSISTANT_VAR_DIR when it was given one)."""
    return Path(os.environ.get("ASSISTANT_VAR_DIR") or "var") / "local-twilio.json"

WIDTH = 100
# espeak-ng's voices for Twilio's languages.
ESPEAK_VOICES = {"sv-SE": "sv", "en-US": "en-us"}


def endpoint_from_account(path: Path | None = None) -> tuple[TwilioEndpoint, LocalAccount]:
    account = load(path or account_file())
    rasa_url = os.environ.get("RASA_URL", account.public_base_url)
    return (TwilioEndpoint(rasa_url, account.public_base_url, account.account_sid,
                           account.auth_token, account.assistant_number,
                           account.caller_number), account)


def wrapped(label: str, text: str) -> str:
    """``label: text`` wrapped under itself, keeping the text's own line breaks."""
    indent = " " * (len(label) + 2)
    lines = [line for line in text.splitlines() if line.strip()] or [""]
    return "\n".join(
        textwrap.fill(line, WIDTH, initial_indent=f"{label}: " if number == 0 else indent,
                      subsequent_indent=indent)
        for number, line in enumerate(lines))


@dataclass
class Speaker:
    """Speaks with espeak-ng where it is installed (``MAKE_CALL_SPEAK=off`` silences it)."""

    program: str | None = field(default_factory=lambda: shutil.which("espeak-ng"))
    run: Callable[[list[str]], object] = field(
        default=lambda argv: subprocess.run(argv, check=False, capture_output=True))

    @property
    def available(self) -> bool:
        return self.program is not None and os.environ.get("MAKE_CALL_SPEAK", "on") != "off"

    def speak(self, said: Said) -> None:
        if self.available and self.program is not None:
            voice = ESPEAK_VOICES.get(said.language, "sv")
            self.run([self.program, "-v", voice, said.text])


def show_step(step: VoiceStep, speaker: Speaker, out: Callable[[str], None] = print) -> None:
    for said in step.says:
        out(wrapped(f"assistant [{said.voice}, {said.language}]", said.text))
        speaker.speak(said)
    if step.dial:
        out(f"[Dial {step.dial}: the call is put through]")
    elif step.hangup:
        out("[Hangup]")
    elif step.redirect is not None:
        out("[Redirect: Twilio comes back for the answer]")
    elif step.gather is not None:
        keys = f", keys ending with {step.gather.finish_on_key}" \
            if step.gather.finish_on_key else ""
        out(f"[Gather: speech in {step.gather.language} or keys{keys}]")


def prompted(prompt: str) -> str:
    """A line from the keyboard; when the lines come from a pipe they are echoed, so the
    transcript reads as a conversation."""
    line = input(prompt)
    if not sys.stdin.isatty():
        print(line, flush=True)
    return line
