"""GET /v1/persons/{ref}/cases: the person's cases with their events, in keyset pages."""

from __future__ import annotations

from sanic import HTTPResponse

from casebackend.access import caller_for, require_details_allowed_on_channel
from casebackend.blueprints.common import IDENTITY_ASSERTION, PERSON_PROBLEMS, respond
from casebackend.context import CaseRequest
from casebackend.pagination import decode_cursor, encode_cursor
from casebackend.parsing import parse_query
from casebackend.repositories import cases
from casebackend.routing import Operation, Resource
from casebackend.schemas import Case, CaseEvent, CasePage, CasesQuery


async def list_cases(request: CaseRequest, ref: str) -> HTTPResponse:
    caller = await caller_for(request, request.ctx.db, ref)
    require_details_allowed_on_channel(caller)
    query = parse_query(request, CasesQuery)
    page = await cases.list_cases(
        request.ctx.db,
        caller.person.id,
        status=query.status,
        limit=query.limit,
        after=decode_cursor(query.cursor) if query.cursor else None,
    )
    return respond(
        CasePage(
            items=[
                Case(
                    case_ref=case.case_ref,
                    benefit=case.benefit,
                    status=case.status,
                    accepts_attachments=case.accepts_attachments,
                    opened_on=case.opened_on,
                    closed_on=case.closed_on,
                    expected_decision_by=case.expected_decision_by,
                    events=[
                        CaseEvent(type=event.type, occurred_on=event.occurred_on)
                        for event in case.events
                    ],
                )
                for case in page.items
            ],
            next_cursor=encode_cursor(page.next) if page.next else None,
        )
    )


RESOURCE = Resource(
    name="cases",
    description="The identified person's cases.",
    operations=(
        Operation(
            method="GET",
            path="/v1/persons/<ref>/cases",
            handler=list_cases,
            operation_id="listCases",
            summary="A person's cases with events (newest first)",
            description=(
                "Only the person themselves; a representative does not see the principal's "
                "cases. Refused for a person with protected identity except in the logged-in web "
                "chat."
            ),
            query=CasesQuery,
            headers=(IDENTITY_ASSERTION,),
            responses={200: ("A page of cases.", CasePage)},
            problems={
                **PERSON_PROBLEMS,
                403: "The token does not open this route, the asserted person is not the one in "
                "the path, or the person has "
                "protected identity and the asserted channel is not the logged-in web chat (type "
                ".../protected-identity).",
                422: "Invalid status, limit or cursor, or an unknown query parameter.",
            },
        ),
    ),
)
