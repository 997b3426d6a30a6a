"""Who may read or do what. The assistant enforces these rules too; this service enforces them
again so that a bug (or a forged call) in the assistant cannot show one person another's data.

- The person and the channel come from the identity assertion the action server signed
  (casebackend.assertion), never from headers the caller writes: no valid assertion is 401.
- The asserted person must be the person in the path: everyone reads only their own data (403).
  A representative is no exception: they cannot read the principal's cases.
- A person with protected identity gets case and payment details only in the logged-in web chat.
- Orders: only for a principal the acting person represents.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from casebackend.assertion import ASSERTION_HEADER, Assertion, InvalidAssertion
from casebackend.context import CaseRequest
from casebackend.problems import (
    FORBIDDEN,
    PERSON_NOT_FOUND,
    PROTECTED_IDENTITY,
    UNAUTHORIZED,
    Problem,
)
from casebackend.repositories import persons
from casebackend.repositories.persons import PersonRecord
from casebackend.vocabulary import Channel


@dataclass(frozen=True)
class Caller:
    """The identified person on whose behalf the assistant calls, and the channel they use."""

    person: PersonRecord
    channel: Channel
    logged_in_web: bool = False

    @property
    def may_see_protected_details(self) -> bool:
        return self.channel == "web" and self.logged_in_web


def asserted_identity(request: CaseRequest) -> Assertion:
    token = request.headers.get(ASSERTION_HEADER)
    if not token:
        raise Problem(UNAUTHORIZED, f"{ASSERTION_HEADER} is required: the signed identity.")
    try:
        return request.app.ctx.assertions.verify(token, request.method, request.path)
    except InvalidAssertion:
        # One answer for every failure: the caller learns nothing about which check failed.
        raise Problem(UNAUTHORIZED, f"{ASSERTION_HEADER} is not valid.") from None


async def caller_for(request: CaseRequest, session: AsyncSession, path_ref: str) -> Caller:
    """Check the assertion and that the caller asks about themselves; load them (404 if unknown)."""
    asserted = asserted_identity(request)
    # Compared before any lookup, so a refusal tells nothing about whether the ref exists.
    if asserted.person_ref != path_ref:
        raise Problem(FORBIDDEN, "A person can only be asked about by that person.")
    person = await persons.get_by_ref(session, path_ref)
    if person is None:
        raise Problem(PERSON_NOT_FOUND, "There is no person with that reference.")
    return Caller(person=person, channel=asserted.channel, logged_in_web=asserted.logged_in_web)


def require_details_allowed_on_channel(caller: Caller) -> None:
    if caller.person.protected_identity and not caller.may_see_protected_details:
        raise Problem(
            PROTECTED_IDENTITY,
            "This person has protected identity: case and payment details are given only on "
            "Mina sidor or in the web chat after login.",
        )
