"""Rasa's REST channel contract with the personnummer removed, for operators and tests. The
channel class is ``connectors.rest.RedactingRestInput`` in credentials.yml."""

from connectors.rest.channel import RedactingRestInput

__all__ = ["RedactingRestInput"]
