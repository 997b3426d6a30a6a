"""POST /v1/person-lookups: personnummer -> opaque person ref (server to server only).

A POST, so the number travels in the body and never in a URL or an access log.
"""

from __future__ import annotations

from datetime import date

from sanic import HTTPResponse

from casebackend.blueprints.common import respond
from casebackend.context import CaseRequest
from casebackend.parsing import parse_json_body
from casebackend.personnummer import InvalidPersonnummer, keyed_hash, normalise
from casebackend.problems import PERSON_NOT_FOUND, VALIDATION_ERROR, Problem
from casebackend.repositories import persons
from casebackend.routing import Operation, Resource
from casebackend.schemas import PersonLookupRequest, PersonLookupResult


async def lookup_person(request: CaseRequest) -> HTTPResponse:
    body = parse_json_body(request, PersonLookupRequest)
    try:
        normalised = normalise(body.personnummer, today=date.today())
    except InvalidPersonnummer as error:
        raise Problem(VALIDATION_ERROR, f"personnummer: {error}") from None
    digest = keyed_hash(normalised, request.app.ctx.settings.pnr_key)
    person_ref = await persons.ref_for_personnummer_hash(request.ctx.db, digest)
    if person_ref is None:
        raise Problem(PERSON_NOT_FOUND, "No person with that personnummer is known here.")
    return respond(PersonLookupResult(person_ref=person_ref))


RESOURCE = Resource(
    name="person_lookups",
    description="Find the person reference for a personnummer.",
    operations=(
        Operation(
            method="POST",
            path="/v1/person-lookups",
            handler=lookup_person,
            operation_id="lookupPerson",
            summary="Look up a person by personnummer",
            description=(
                "Accepts 10 or 12 digits with or without '-' or '+', checks the date and the "
                "Luhn check digit, and returns the opaque ref used in every other call."
            ),
            body=PersonLookupRequest,
            scope="lookup",
            responses={200: ("The person's reference.", PersonLookupResult)},
            problems={
                400: "The body is not JSON.",
                401: "Missing or invalid token.",
                404: "No person with that personnummer.",
                415: "The body is not application/json.",
                422: "Invalid personnummer, or unknown, missing or mistyped fields.",
            },
        ),
    ),
)
