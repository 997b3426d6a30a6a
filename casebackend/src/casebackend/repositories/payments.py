"""A person's payments from a date on, earliest first, in keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from casebackend.db.models import Payment
from casebackend.pagination import Page, Position, paginate
from casebackend.vocabulary import BENEFITS, Benefit, checked


@dataclass(frozen=True)
class PaymentRecord:
    id: int
    benefit: Benefit
    pay_date: date
    amount_ore: int
    preliminary: bool


async def list_payments(
    session: AsyncSession,
    person_id: int,
    *,
    from_date: date,
    limit: int,
    after: Position | None,
) -> Page[PaymentRecord]:
    query = select(Payment).where(Payment.person_id == person_id, Payment.pay_date >= from_date)
    if after is not None:
        query = query.where(
            or_(
                Payment.pay_date > after.on,
                and_(Payment.pay_date == after.on, Payment.id > after.id),
            )
        )
    query = query.order_by(Payment.pay_date, Payment.id).limit(limit + 1)
    rows = [_record(payment) for payment in (await session.scalars(query)).all()]
    return paginate(rows, limit, lambda payment: Position(on=payment.pay_date, id=payment.id))


def _record(payment: Payment) -> PaymentRecord:
    return PaymentRecord(
        id=payment.id,
        benefit=checked(payment.benefit, BENEFITS),
        pay_date=payment.pay_date,
        amount_ore=payment.amount_ore,
        preliminary=payment.preliminary,
    )
