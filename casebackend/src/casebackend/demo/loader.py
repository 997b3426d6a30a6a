"""Load the demo persons idempotently: a second run leaves the same rows (same ids and refs) with
the dates moved to the new load day. Rows are matched, updated in place, and only the surplus is
inserted or deleted, in one transaction. Orders are history and are left alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from casebackend.contact import ContactError, decrypt_mobile, encrypt_mobile
from casebackend.db.engine import create_engine, create_sessionmaker
from casebackend.db.models import Case, CaseEvent, Payment, Person, Representation
from casebackend.demo.data import DEMO_PERSONS, DemoCase, DemoPerson
from casebackend.personnummer import keyed_hash, normalise
from casebackend.settings import DEV_CONTACT_KEY, DatabaseSettings

_DayFn = Callable[[int], date]


@dataclass(frozen=True)
class LoadedPerson:
    given_name: str
    person_ref: str


def new_person_ref() -> str:
    # 144 random bits, URL-safe: unguessable, and says nothing about the person.
    return secrets.token_urlsafe(18)


async def load_demo(
    database: DatabaseSettings,
    pnr_key: bytes,
    today: date,
    persons: Sequence[DemoPerson] = DEMO_PERSONS,
    *,
    contact_key: bytes = DEV_CONTACT_KEY.encode(),
) -> list[LoadedPerson]:
    engine = create_engine(database)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await _load(session, pnr_key, contact_key, today, persons)
    finally:
        await engine.dispose()


async def _load(
    session: AsyncSession,
    pnr_key: bytes,
    contact_key: bytes,
    today: date,
    demo: Sequence[DemoPerson],
) -> list[LoadedPerson]:
    def day(offset: int) -> date:
        return today + timedelta(days=offset)

    rows: dict[str, Person] = {}
    for demo_person in demo:
        rows[demo_person.personnummer] = await _upsert_person(
            session, demo_person, pnr_key, contact_key, today
        )
    await session.flush()

    for demo_person in demo:
        person = rows[demo_person.personnummer]
        await _sync_representations(session, person, demo_person, rows)
        case_ids = await _sync_cases(session, person, demo_person.cases, day)
        await _sync_payments(session, person, demo_person, case_ids, day)
    return [
        LoadedPerson(given_name=row.given_name, person_ref=row.person_ref)
        for row in (rows[demo_person.personnummer] for demo_person in demo)
    ]


async def _upsert_person(
    session: AsyncSession, demo: DemoPerson, pnr_key: bytes, contact_key: bytes, today: date
) -> Person:
    digest = keyed_hash(normalise(demo.personnummer, today), pnr_key)
    person = await session.scalar(select(Person).where(Person.personnummer_hash == digest))
    if person is None:
        person = Person(person_ref=new_person_ref(), personnummer_hash=digest)
        session.add(person)
    person.given_name = demo.given_name
    person.protected_identity = demo.protected_identity
    person.has_used_mina_sidor = demo.has_used_mina_sidor
    person.has_benefit_certificate = demo.has_benefit_certificate
    person.sms_notifications = demo.sms_notifications
    person.mobile_number_enc = _mobile_token(
        person.mobile_number_enc, demo.mobile_number, contact_key
    )
    return person


def _mobile_token(stored: str | None, wanted: str | None, key: bytes) -> str | None:
    """Keep the stored token when it already holds the wanted number (encryption is randomised,
    so re-encrypting would change the row on every load)."""
    if wanted is None:
        return None
    if stored is not None:
        try:
            if decrypt_mobile(stored, key) == wanted:
                return stored
        except ContactError:
            pass  # another key: encrypt anew
    return encrypt_mobile(wanted, key)


async def _sync_representations(
    session: AsyncSession, person: Person, demo: DemoPerson, rows: dict[str, Person]
) -> None:
    wanted = {rows[principal].id: role for principal, role in demo.represents}
    existing = {
        row.principal_id: row
        for row in await session.scalars(
            select(Representation).where(Representation.representative_id == person.id)
        )
    }
    for principal_id, row in existing.items():
        if principal_id not in wanted:
            await session.delete(row)
        else:
            row.role = wanted[principal_id]
    for principal_id, role in wanted.items():
        if principal_id not in existing:
            session.add(
                Representation(representative_id=person.id, principal_id=principal_id, role=role)
            )


async def _sync_cases(
    session: AsyncSession,
    person: Person,
    demo_cases: tuple[DemoCase, ...],
    day: _DayFn,
) -> dict[str, int]:
    wanted_refs = [case.case_ref for case in demo_cases]
    await session.execute(
        delete(Case).where(Case.person_id == person.id, Case.case_ref.not_in(wanted_refs))
    )
    case_ids: dict[str, int] = {}
    for demo_case in demo_cases:
        case = await session.scalar(select(Case).where(Case.case_ref == demo_case.case_ref))
        if case is None:
            case = Case(case_ref=demo_case.case_ref)
            session.add(case)
        case.person_id = person.id
        case.benefit = demo_case.benefit
        case.status = "open"
        case.accepts_attachments = demo_case.accepts_attachments
        case.opened_on = day(demo_case.opened_day)
        case.closed_on = None
        case.expected_decision_by = (
            None
            if demo_case.expected_decision_day is None
            else day(demo_case.expected_decision_day)
        )
        await session.flush()
        case_ids[demo_case.case_ref] = case.id
        events = list(
            await session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        )
        for index, demo_event in enumerate(demo_case.events):
            if index < len(events):
                event = events[index]
            else:
                event = CaseEvent(case_id=case.id)
                session.add(event)
            event.type = demo_event.type
            event.occurred_on = day(demo_event.day)
        for surplus in events[len(demo_case.events) :]:
            await session.delete(surplus)
    return case_ids


async def _sync_payments(
    session: AsyncSession,
    person: Person,
    demo: DemoPerson,
    case_ids: dict[str, int],
    day: _DayFn,
) -> None:
    payments = list(
        await session.scalars(
            select(Payment).where(Payment.person_id == person.id).order_by(Payment.id)
        )
    )
    for index, demo_payment in enumerate(demo.payments):
        if index < len(payments):
            payment = payments[index]
        else:
            payment = Payment(person_id=person.id)
            session.add(payment)
        payment.case_id = None if demo_payment.case_ref is None else case_ids[demo_payment.case_ref]
        payment.benefit = demo_payment.benefit
        payment.pay_date = day(demo_payment.day)
        payment.amount_ore = demo_payment.amount_ore
        payment.preliminary = demo_payment.preliminary
    for surplus in payments[len(demo.payments) :]:
        await session.delete(surplus)
