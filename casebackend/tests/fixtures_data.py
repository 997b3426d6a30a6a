"""Extra rows some tests need beside the demo data, written straight to the database and
removed afterwards (deleting the persons cascades to everything of theirs)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete

from casebackend.db.engine import create_engine, create_sessionmaker
from casebackend.db.models import Case, CaseEvent, Order, Payment, Person, Representation
from casebackend.settings import DatabaseSettings
from tests.support import run


@dataclass(frozen=True)
class ExtraPeople:
    busy_ref: str  # many cases and payments, several on the same dates
    representative_ref: str  # represents both principals
    principal_refs: tuple[str, str]
    case_count: int
    payment_count: int


def _person(name: str) -> Person:
    return Person(
        person_ref=secrets.token_urlsafe(18),
        personnummer_hash=secrets.token_hex(32),
        given_name=name,
        protected_identity=False,
        has_used_mina_sidor=True,
        has_benefit_certificate=False,
    )


@contextmanager
def extra_people(database: DatabaseSettings) -> Iterator[ExtraPeople]:
    case_count, payment_count = 45, 47
    today = date.today()

    async def create() -> tuple[ExtraPeople, list[int]]:
        engine = create_engine(database)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                busy, representative = _person("Busy"), _person("Rep")
                principals = (_person("P1"), _person("P2"))
                session.add_all([busy, representative, *principals])
                await session.flush()
                for principal in principals:
                    session.add(
                        Representation(
                            representative_id=representative.id,
                            principal_id=principal.id,
                            role="forvaltare",
                        )
                    )
                for index in range(case_count):
                    # Three cases per date, so the id must break ties.
                    opened = today - timedelta(days=index // 3)
                    closed = index % 2 == 0
                    case = Case(
                        case_ref=f"T-{busy.id}-{index:03d}",
                        person_id=busy.id,
                        benefit="barnbidrag",
                        status="closed" if closed else "open",
                        accepts_attachments=False,
                        opened_on=opened,
                        closed_on=opened + timedelta(days=1) if closed else None,
                        expected_decision_by=None,
                    )
                    session.add(case)
                    await session.flush()
                    session.add(
                        CaseEvent(case_id=case.id, type="application_received", occurred_on=opened)
                    )
                for index in range(payment_count):
                    session.add(
                        Payment(
                            person_id=busy.id,
                            case_id=None,
                            benefit="barnbidrag",
                            pay_date=today + timedelta(days=index // 4 - 3),
                            amount_ore=125_000 + index,
                            preliminary=index > 4,
                        )
                    )
                people = ExtraPeople(
                    busy_ref=busy.person_ref,
                    representative_ref=representative.person_ref,
                    principal_refs=(principals[0].person_ref, principals[1].person_ref),
                    case_count=case_count,
                    payment_count=payment_count,
                )
                ids = [busy.id, representative.id, principals[0].id, principals[1].id]
                return people, ids
        finally:
            await engine.dispose()

    async def remove(ids: list[int]) -> None:
        engine = create_engine(database)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                await session.execute(delete(Order).where(Order.requester_id.in_(ids)))
                await session.execute(delete(Person).where(Person.id.in_(ids)))
        finally:
            await engine.dispose()

    people, ids = run(create())
    try:
        yield people
    finally:
        run(remove(ids))
