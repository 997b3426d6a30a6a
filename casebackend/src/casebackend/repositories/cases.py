"""A person's cases with their events, newest opened first, in keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from casebackend.db.models import Case, CaseEvent
from casebackend.pagination import Page, Position, paginate
from casebackend.vocabulary import (
    BENEFITS,
    CASE_EVENT_TYPES,
    CASE_STATUSES,
    Benefit,
    CaseEventType,
    CaseStatus,
    checked,
)

StatusFilter = Literal["open", "closed", "all"]


@dataclass(frozen=True)
class EventRecord:
    type: CaseEventType
    occurred_on: date


@dataclass(frozen=True)
class CaseRecord:
    id: int
    case_ref: str
    benefit: Benefit
    status: CaseStatus
    accepts_attachments: bool
    opened_on: date
    closed_on: date | None
    expected_decision_by: date | None
    events: tuple[EventRecord, ...]


async def list_cases(
    session: AsyncSession,
    person_id: int,
    *,
    status: StatusFilter,
    limit: int,
    after: Position | None,
) -> Page[CaseRecord]:
    query = select(Case).where(Case.person_id == person_id)
    if status != "all":
        query = query.where(Case.status == status)
    if after is not None:
        # Descending order: the next page holds what sorts below the cursor.
        query = query.where(
            or_(Case.opened_on < after.on, and_(Case.opened_on == after.on, Case.id < after.id))
        )
    query = query.order_by(Case.opened_on.desc(), Case.id.desc()).limit(limit + 1)
    cases = list((await session.scalars(query)).all())
    page = paginate(cases, limit, lambda case: Position(on=case.opened_on, id=case.id))
    events = await _events_by_case(session, [case.id for case in page.items])
    return Page(
        items=[_record(case, events.get(case.id, [])) for case in page.items], next=page.next
    )


async def _events_by_case(
    session: AsyncSession, case_ids: list[int]
) -> dict[int, list[EventRecord]]:
    if not case_ids:
        return {}
    rows = await session.execute(
        select(CaseEvent.case_id, CaseEvent.type, CaseEvent.occurred_on)
        .where(CaseEvent.case_id.in_(case_ids))
        .order_by(CaseEvent.occurred_on.desc(), CaseEvent.id.desc())
    )
    by_case: dict[int, list[EventRecord]] = {}
    for row in rows:
        by_case.setdefault(row.case_id, []).append(
            EventRecord(type=checked(row.type, CASE_EVENT_TYPES), occurred_on=row.occurred_on)
        )
    return by_case


def _record(case: Case, events: list[EventRecord]) -> CaseRecord:
    return CaseRecord(
        id=case.id,
        case_ref=case.case_ref,
        benefit=checked(case.benefit, BENEFITS),
        status=checked(case.status, CASE_STATUSES),
        accepts_attachments=case.accepts_attachments,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        expected_decision_by=case.expected_decision_by,
        events=tuple(events),
    )
