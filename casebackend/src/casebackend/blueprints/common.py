"""What the resource modules share: the person headers and rendering a model as JSON."""

from __future__ import annotations

from pydantic import BaseModel
from sanic import HTTPResponse, json

from casebackend.access import ACTING_PERSON_HEADER, CHANNEL_HEADER
from casebackend.routing import HeaderParam
from casebackend.schemas import REF_PATTERN
from casebackend.vocabulary import CHANNELS

ACTING_PERSON = HeaderParam(
    name=ACTING_PERSON_HEADER,
    description="The identified person the assistant acts for; must equal the person in the path.",
    required=True,
    schema={"type": "string", "pattern": REF_PATTERN},
)
CHANNEL = HeaderParam(
    name=CHANNEL_HEADER,
    description="The channel the person uses. Protected identities get no details on sms/voice.",
    required=True,
    schema={"type": "string", "enum": list(CHANNELS)},
)
OPTIONAL_CHANNEL = HeaderParam(
    name=CHANNEL_HEADER,
    description="The channel the person uses, if known.",
    required=False,
    schema={"type": "string", "enum": list(CHANNELS)},
)

# Problem statuses every authenticated person route can answer with.
PERSON_PROBLEMS: dict[int, str] = {
    400: "Missing or invalid X-Acting-Person or X-Channel header.",
    401: "Missing or invalid service token.",
    403: "X-Acting-Person is not the person in the path.",
    404: "No person with that reference.",
}


def respond(model: BaseModel, status: int = 200) -> HTTPResponse:
    return json(model.model_dump(mode="json", by_alias=True), status=status)
