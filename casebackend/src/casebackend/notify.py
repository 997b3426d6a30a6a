"""`python -m casebackend.notify --case CASE-121202 --event complement_requested`: ask the
assistant to tell the case's person by SMS that something happened (docs/sms.md, "Proactive
notices").

The notice body carries the person's own choice (`sms_notifications`) and the protected-identity
flag, so the assistant can keep both rules; a person without SMS notices or without a number is
recorded as `skipped` and the assistant is not called. The idempotency key is
`<case_ref>:<event>:<date>`: a rerun the same day finds the recorded notice and does not notify
again (a `failed` one is tried again). Every outcome is a row in `notices`. The mobile number is
decrypted only for the request body and never printed or logged.

Exit status: 0 sent, skipped or already done; 1 the assistant could not be reached or refused
(recorded as `failed`); 2 bad arguments, settings or an unknown case.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from casebackend.contact import ContactError, decrypt_mobile
from casebackend.db.engine import create_engine, create_sessionmaker
from casebackend.db.models import Case, CaseEvent, Notice, Person
from casebackend.production import ProductionModeError
from casebackend.settings import (
    DatabaseSettings,
    NotifierSettings,
    SettingsError,
    uses_dev_contact_key,
)
from casebackend.vocabulary import NOTICE_EVENTS, NoticeEvent, NoticeStatus, checked

log = logging.getLogger("casebackend.notify")

# The assistant's answers (its 202 body's "status").
ASSISTANT_DECISIONS = frozenset({"accepted", "duplicate", "sms_notifications_off", "opted_out"})


class UnknownCase(LookupError):
    """No case has this reference."""


@dataclass(frozen=True)
class NoticeOutcome:
    case_ref: str
    event: NoticeEvent
    idempotency_key: str
    status: NoticeStatus
    decision: str
    # True when the notice was already recorded (sent or skipped) and nothing was done now.
    already_recorded: bool = False

    def describe(self) -> str:
        again = " (already recorded: not sent again)" if self.already_recorded else ""
        return (
            f"{self.case_ref} {self.event}: {self.status}, decision: {self.decision}{again} "
            f"[key {self.idempotency_key}]"
        )


@dataclass(frozen=True)
class _Target:
    case_id: int
    protected_identity: bool
    sms_notifications: bool
    mobile_number_enc: str | None


def idempotency_key(case_ref: str, event: NoticeEvent, day: date) -> str:
    return f"{case_ref}:{event}:{day.isoformat()}"


async def notify_case(
    database: DatabaseSettings,
    settings: NotifierSettings,
    case_ref: str,
    event: NoticeEvent,
    today: date,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> NoticeOutcome:
    """Notify the person of `case_ref` about `event` (once per case, event and day)."""
    engine = create_engine(database)
    try:
        sessions = create_sessionmaker(engine)
        return await _notify(sessions, settings, case_ref, event, today, transport)
    finally:
        await engine.dispose()


async def _notify(
    sessions: async_sessionmaker[AsyncSession],
    settings: NotifierSettings,
    case_ref: str,
    event: NoticeEvent,
    today: date,
    transport: httpx.AsyncBaseTransport | None,
) -> NoticeOutcome:
    key = idempotency_key(case_ref, event, today)

    def outcome(status: NoticeStatus, decision: str, *, again: bool = False) -> NoticeOutcome:
        return NoticeOutcome(case_ref, event, key, status, decision, already_recorded=again)

    async with sessions() as session, session.begin():
        target = await _target(session, case_ref)
        if event == "complement_requested":
            await _record_case_event(session, target.case_id, event, today)
        previous = await session.scalar(select(Notice).where(Notice.idempotency_key == key))
        if previous is not None and previous.status != "failed":
            recorded: NoticeStatus = checked(previous.status, ("sent", "skipped"))
            return outcome(recorded, previous.decision, again=True)

    if not target.sms_notifications:
        result = outcome("skipped", "sms_notifications_off")
    elif target.mobile_number_enc is None:
        result = outcome("skipped", "no_mobile_number")
    else:
        try:
            phone = decrypt_mobile(target.mobile_number_enc, settings.contact_key)
        except ContactError as error:
            result = outcome("failed", str(error))
        else:
            body = {
                "phone": phone,
                "event": event,
                "protected_identity": target.protected_identity,
                "sms_notifications": target.sms_notifications,
                "idempotency_key": key,
            }
            status, decision = await _post(settings, body, transport)
            result = outcome(status, decision)

    await _record_notice(sessions, target.case_id, result)
    return result


async def _target(session: AsyncSession, case_ref: str) -> _Target:
    row = (
        await session.execute(
            select(
                Case.id,
                Person.protected_identity,
                Person.sms_notifications,
                Person.mobile_number_enc,
            )
            .join(Person, Person.id == Case.person_id)
            .where(Case.case_ref == case_ref)
        )
    ).one_or_none()
    if row is None:
        raise UnknownCase(f"no case {case_ref!r}")
    return _Target(
        case_id=row.id,
        protected_identity=row.protected_identity,
        sms_notifications=row.sms_notifications,
        mobile_number_enc=row.mobile_number_enc,
    )


async def _record_case_event(
    session: AsyncSession, case_id: int, event: NoticeEvent, today: date
) -> None:
    existing = await session.scalar(
        select(CaseEvent.id).where(
            CaseEvent.case_id == case_id,
            CaseEvent.type == event,
            CaseEvent.occurred_on == today,
        )
    )
    if existing is None:
        session.add(CaseEvent(case_id=case_id, type=event, occurred_on=today))


async def _post(
    settings: NotifierSettings,
    body: dict[str, object],
    transport: httpx.AsyncBaseTransport | None,
) -> tuple[NoticeStatus, str]:
    headers = {"Authorization": f"Bearer {settings.notices_token}"}
    try:
        async with httpx.AsyncClient(
            timeout=settings.timeout, transport=transport, follow_redirects=False
        ) as client:
            response = await client.post(settings.notices_url, json=body, headers=headers)
    except httpx.TimeoutException:
        return "failed", f"the assistant did not answer within {settings.timeout:g} s"
    except httpx.HTTPError as error:
        return "failed", f"the assistant could not be reached ({type(error).__name__})"
    if response.status_code != 202:
        return "failed", f"the assistant answered HTTP {response.status_code}"
    try:
        decision = response.json().get("status")
    except (ValueError, AttributeError):
        decision = None
    if decision not in ASSISTANT_DECISIONS:
        return "failed", "the assistant's answer has no known decision"
    return "sent", str(decision)


async def _record_notice(
    sessions: async_sessionmaker[AsyncSession], case_id: int, result: NoticeOutcome
) -> None:
    now = datetime.now(UTC)
    try:
        async with sessions() as session, session.begin():
            notice = await session.scalar(
                select(Notice).where(Notice.idempotency_key == result.idempotency_key)
            )
            if notice is None:
                notice = Notice(
                    case_id=case_id, event=result.event, idempotency_key=result.idempotency_key
                )
                session.add(notice)
            notice.created_at = now
            notice.status = result.status
            notice.decision = result.decision
    except IntegrityError:
        # A concurrent run recorded the same key first; the assistant dedupes by key as well.
        log.info("notice %s was recorded by another run", result.idempotency_key)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m casebackend.notify",
        description="Ask the assistant to tell a case's person by SMS that something happened.",
    )
    parser.add_argument("--case", required=True, dest="case_ref", help="case reference")
    parser.add_argument("--event", required=True, choices=NOTICE_EVENTS)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        database = DatabaseSettings.from_env()
        settings = NotifierSettings.from_env()
    except (SettingsError, ProductionModeError) as error:
        print(f"casebackend.notify: {error}", file=sys.stderr)
        return 2
    if uses_dev_contact_key(settings.contact_key):
        log.warning("CASEBACKEND_CONTACT_KEY is not set: using the development key")
    event = checked(arguments.event, NOTICE_EVENTS)
    try:
        result = asyncio.run(
            notify_case(database, settings, arguments.case_ref, event, date.today())
        )
    except UnknownCase as error:
        print(f"casebackend.notify: {error}", file=sys.stderr)
        return 2
    except DBAPIError as error:
        print(
            "casebackend.notify: the database could not be used "
            f"({type(error.orig).__name__}); has it been migrated (make migrate)?",
            file=sys.stderr,
        )
        return 1
    print(result.describe())
    if result.status == "failed":
        print(
            f"casebackend.notify: the notice was not sent ({result.decision}); "
            "it is recorded as failed and a rerun tries again",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
