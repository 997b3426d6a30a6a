"""The agent desk's routes into the assistant (``connectors.agentdesk.AgentDeskInput``)."""

from connectors.agentdesk.channel import AgentDeskInput

__all__ = ["AgentDeskInput"]
