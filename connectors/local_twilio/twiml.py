"""Reading the TwiML the channels answer, as Twilio would act on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree import ElementTree


@dataclass(frozen=True)
class Said:
    text: str
    voice: str
    language: str


@dataclass(frozen=True)
class Gather:
    action: str
    language: str
    finish_on_key: str = ""
    num_digits: int = 0


@dataclass
class VoiceStep:
    """One TwiML answer of the phone channel, in the order Twilio plays it."""

    says: list[Said] = field(default_factory=list)
    gather: Gather | None = None
    redirect: str | None = None
    dial: str | None = None
    hangup: bool = False

    @property
    def ended(self) -> bool:
        return self.hangup or self.dial is not None or (
            self.gather is None and self.redirect is None)


def _said(element: ElementTree.Element) -> Said:
    return Said(element.text or "", element.get("voice", ""), element.get("language", ""))


def parse_voice(body: str) -> VoiceStep:
    root = ElementTree.fromstring(body)
    step = VoiceStep()
    for verb in root:
        if verb.tag == "Say":
            step.says.append(_said(verb))
        elif verb.tag == "Gather":
            step.says.extend(_said(say) for say in verb.iter("Say"))
            step.gather = Gather(verb.get("action", ""), verb.get("language", ""),
                                 verb.get("finishOnKey", ""), int(verb.get("numDigits", "0")))
        elif verb.tag == "Redirect":
            step.redirect = verb.text or ""
        elif verb.tag == "Dial":
            step.dial = (verb.text or "").strip()
        elif verb.tag == "Hangup":
            step.hangup = True
        if step.redirect or step.dial or step.hangup:
            break  # Twilio does not read past them
    return step


def parse_messages(body: str) -> list[str]:
    """The texts of an SMS webhook's ``<Message>`` elements (none: an empty ``<Response/>``)."""
    if not body.strip():
        return []
    root = ElementTree.fromstring(body)
    texts = []
    for message in root.iter("Message"):
        inner = message.find("Body")
        texts.append((inner.text if inner is not None else message.text) or "")
    return texts
