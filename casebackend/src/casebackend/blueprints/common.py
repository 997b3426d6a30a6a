"""What the resource modules share: the identity assertion header and rendering a model as JSON."""

from __future__ import annotations

from pydantic import BaseModel
from sanic import HTTPResponse, json

from casebackend.assertion import ASSERTION_HEADER, MAX_LIFETIME_SECONDS
from casebackend.routing import HeaderParam

IDENTITY_ASSERTION = HeaderParam(
    name=ASSERTION_HEADER,
    description=(
        "The identity assertion the action server signed (JWT, EdDSA): the person (sub, equal "
        "to the person in the path), the channel, logged_in_web, this request's method and path "
        f"(htm, htu), at most {MAX_LIFETIME_SECONDS} s of lifetime and a jti used once. "
        "X-Acting-Person and X-Channel are not read."
    ),
    required=True,
    schema={"type": "string"},
)

# Problem statuses every authenticated person route can answer with.
PERSON_PROBLEMS: dict[int, str] = {
    401: "Missing or invalid token, or a missing or invalid identity assertion.",
    403: "The token does not open this route, or the asserted person is not the one in the path.",
    404: "No person with that reference.",
}


def respond(model: BaseModel, status: int = 200) -> HTTPResponse:
    return json(model.model_dump(mode="json", by_alias=True), status=status)
