"""Phone numbers as Twilio sends them (E.164), shared by the SMS and phone channels."""

from __future__ import annotations


def normalise_phone(phone: str) -> str:
    """Twilio sends E.164; spaces and dashes from hand-written input are dropped."""
    return "".join(char for char in phone.strip() if char not in " -()")
