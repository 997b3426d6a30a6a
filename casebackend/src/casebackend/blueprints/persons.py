"""GET /v1/persons/{ref}: the identified person's profile flags and whom they represent."""

from __future__ import annotations

from sanic import HTTPResponse

from casebackend.access import caller_for
from casebackend.blueprints.common import IDENTITY_ASSERTION, PERSON_PROBLEMS, respond
from casebackend.context import CaseRequest
from casebackend.repositories import persons
from casebackend.routing import Operation, Resource
from casebackend.schemas import PersonProfile, Representation


async def get_person(request: CaseRequest, ref: str) -> HTTPResponse:
    # Allowed on every channel, also for protected identities: the assistant needs the flag
    # to know what it may say.
    caller = await caller_for(request, request.ctx.db, ref)
    principals = await persons.principals_of(request.ctx.db, caller.person.id)
    person = caller.person
    return respond(
        PersonProfile(
            person_ref=person.person_ref,
            given_name=person.given_name,
            protected_identity=person.protected_identity,
            has_used_mina_sidor=person.has_used_mina_sidor,
            has_benefit_certificate=person.has_benefit_certificate,
            representative_for=[
                Representation(person_ref=principal.person_ref, role=principal.role)
                for principal in principals
            ],
        )
    )


RESOURCE = Resource(
    name="persons",
    description="The identified person's profile.",
    operations=(
        Operation(
            method="GET",
            path="/v1/persons/<ref>",
            handler=get_person,
            operation_id="getPerson",
            summary="A person's profile flags and representations",
            description="Only the person themselves (the assertion's sub equal to {ref}).",
            headers=(IDENTITY_ASSERTION,),
            responses={200: ("The profile.", PersonProfile)},
            problems=PERSON_PROBLEMS,
        ),
    ),
)
