"""Orders placed by a representative for a principal, made idempotent by the caller's key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from casebackend.db.models import Order, Person
from casebackend.vocabulary import ORDER_STATUSES, ORDER_TYPES, OrderStatus, OrderType, checked

ORDER_REF_PREFIX = {"annual_report_basis": "AR"}


@dataclass(frozen=True)
class OrderRecord:
    order_ref: str
    type: OrderType
    principal_ref: str
    status: OrderStatus
    created_at: datetime


@dataclass(frozen=True)
class PlacedOrder:
    order: OrderRecord
    created: bool  # False: the idempotency key was used before and this is that order


def format_order_ref(order_type: OrderType, year: int, order_id: int) -> str:
    return f"{ORDER_REF_PREFIX[order_type]}-{year}-{order_id:06d}"


async def find_by_key(
    session: AsyncSession, requester_id: int, idempotency_key: str
) -> OrderRecord | None:
    row = (
        await session.execute(
            select(Order, Person.person_ref)
            .join(Person, Person.id == Order.principal_id)
            .where(Order.requester_id == requester_id, Order.idempotency_key == idempotency_key)
        )
    ).first()
    if row is None:
        return None
    order, principal_ref = row.tuple()
    return OrderRecord(
        order_ref=order.order_ref,
        type=checked(order.type, ORDER_TYPES),
        principal_ref=principal_ref,
        status=checked(order.status, ORDER_STATUSES),
        created_at=order.created_at,
    )


async def place_order(
    session: AsyncSession,
    *,
    requester_id: int,
    principal_id: int,
    order_type: OrderType,
    idempotency_key: str,
    now: datetime,
) -> PlacedOrder:
    """Insert the order, or return the one placed before with the same key (also when a
    concurrent duplicate wins the race: the unique constraint decides, not a prior read)."""
    existing = await find_by_key(session, requester_id, idempotency_key)
    if existing is not None:
        return PlacedOrder(order=existing, created=False)
    order = Order(
        # The readable ref needs the row id: a unique placeholder holds the place until flush.
        order_ref=f"pending-{uuid.uuid4().hex}",
        requester_id=requester_id,
        principal_id=principal_id,
        type=order_type,
        idempotency_key=idempotency_key,
        created_at=now.replace(microsecond=0),
        status="received",
    )
    session.add(order)
    try:
        await session.flush()
        order.order_ref = format_order_ref(order_type, order.created_at.year, order.id)
        await session.commit()
    except IntegrityError:
        await session.rollback()
        existing = await find_by_key(session, requester_id, idempotency_key)
        if existing is None:
            raise
        return PlacedOrder(order=existing, created=False)
    placed = await find_by_key(session, requester_id, idempotency_key)
    if placed is None:
        raise RuntimeError("the order just written cannot be read back")
    return PlacedOrder(order=placed, created=True)
