"""The web chat channel: Rasa's socket.io protocol with signed sessions, history, limits.

credentials.yml key: ``connectors.webchat.WebChatInput`` (see channel.py and config.py).
"""

from connectors.webchat.channel import WebChatInput

__all__ = ["WebChatInput"]
