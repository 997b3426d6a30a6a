"""GET /v1/persons/{ref}/payments: the person's payments from a date on, in keyset pages."""

from __future__ import annotations

from datetime import date

from sanic import HTTPResponse

from casebackend.access import caller_for, require_details_allowed_on_channel
from casebackend.blueprints.common import IDENTITY_ASSERTION, PERSON_PROBLEMS, respond
from casebackend.context import CaseRequest
from casebackend.pagination import decode_cursor, encode_cursor
from casebackend.parsing import parse_query
from casebackend.repositories import payments
from casebackend.routing import Operation, Resource
from casebackend.schemas import Payment, PaymentPage, PaymentsQuery


async def list_payments(request: CaseRequest, ref: str) -> HTTPResponse:
    caller = await caller_for(request, request.ctx.db, ref)
    require_details_allowed_on_channel(caller)
    query = parse_query(request, PaymentsQuery)
    page = await payments.list_payments(
        request.ctx.db,
        caller.person.id,
        from_date=query.from_ or date.today(),
        limit=query.limit,
        after=decode_cursor(query.cursor) if query.cursor else None,
    )
    return respond(
        PaymentPage(
            items=[
                Payment(
                    benefit=payment.benefit,
                    pay_date=payment.pay_date,
                    amount_ore=payment.amount_ore,
                    preliminary=payment.preliminary,
                )
                for payment in page.items
            ],
            next_cursor=encode_cursor(page.next) if page.next else None,
        )
    )


RESOURCE = Resource(
    name="payments",
    description="The identified person's payments.",
    operations=(
        Operation(
            method="GET",
            path="/v1/persons/<ref>/payments",
            handler=list_payments,
            operation_id="listPayments",
            summary="A person's payments from a date on (earliest first)",
            description=(
                "The first item is the next payment; preliminary ones follow. Only the person "
                "themselves; refused for a person with protected identity except in the logged-in "
                "web chat."
            ),
            query=PaymentsQuery,
            headers=(IDENTITY_ASSERTION,),
            responses={200: ("A page of payments.", PaymentPage)},
            problems={
                **PERSON_PROBLEMS,
                403: "The token does not open this route, the asserted person is not the one in "
                "the path, or the person has "
                "protected identity and the asserted channel is not the logged-in web chat (type "
                ".../protected-identity).",
                422: "Invalid from, limit or cursor, or an unknown query parameter.",
            },
        ),
    ),
)
