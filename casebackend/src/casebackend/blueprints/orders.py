"""POST /v1/persons/{ref}/orders: a representative orders the basis for the annual report."""

from __future__ import annotations

from datetime import UTC, datetime

from sanic import HTTPResponse

from casebackend.access import caller_for
from casebackend.blueprints.common import IDENTITY_ASSERTION, PERSON_PROBLEMS, respond
from casebackend.context import CaseRequest
from casebackend.parsing import parse_json_body
from casebackend.problems import IDEMPOTENCY_CONFLICT, NOT_REPRESENTATIVE, Problem
from casebackend.repositories import orders, persons
from casebackend.routing import Operation, Resource
from casebackend.schemas import Order, OrderRequest


async def place_order(request: CaseRequest, ref: str) -> HTTPResponse:
    session = request.ctx.db
    caller = await caller_for(request, session, ref)
    body = parse_json_body(request, OrderRequest)
    # An unknown principal and one not represented get the same answer: no existence oracle.
    principal = await persons.principal_of(session, caller.person.id, body.principal_ref)
    if principal is None:
        raise Problem(
            NOT_REPRESENTATIVE, "The person is not a registered representative of that principal."
        )
    placed = await orders.place_order(
        session,
        requester_id=caller.person.id,
        principal_id=principal.id,
        order_type=body.type,
        idempotency_key=body.idempotency_key,
        now=datetime.now(UTC),
    )
    order = placed.order
    if order.principal_ref != body.principal_ref or order.type != body.type:
        raise Problem(
            IDEMPOTENCY_CONFLICT,
            "This idempotency key was already used for a different order: use a new key.",
        )
    return respond(
        Order(
            order_ref=order.order_ref,
            type=order.type,
            principal_ref=order.principal_ref,
            status=order.status,
            created_at=order.created_at,
        ),
        status=201 if placed.created else 200,
    )


RESOURCE = Resource(
    name="orders",
    description="Orders a representative places for a principal.",
    operations=(
        Operation(
            method="POST",
            path="/v1/persons/<ref>/orders",
            handler=place_order,
            operation_id="placeOrder",
            summary="Order the basis for the annual report (representatives only)",
            description=(
                "Idempotent per (person, idempotency_key): the same key again returns the first "
                "order with 200 and writes nothing; the same key with a different body is 409."
            ),
            body=OrderRequest,
            headers=(IDENTITY_ASSERTION,),
            scope="orders:write",
            responses={
                201: ("The order was placed.", Order),
                200: ("The order placed before with this idempotency key.", Order),
            },
            problems={
                **PERSON_PROBLEMS,
                400: "The body is not JSON.",
                403: "The token does not open this route, the asserted person is not the one in "
                "the path, or the person does not "
                "represent principal_ref (type .../not-representative).",
                409: "The idempotency key was used for a different order.",
                415: "The body is not application/json.",
                422: "Unknown, missing or mistyped fields.",
            },
        ),
    ),
)
