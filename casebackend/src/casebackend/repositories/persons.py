"""Persons and who represents whom."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from casebackend.db.models import Person, Representation
from casebackend.vocabulary import REPRESENTATIVE_ROLES, RepresentativeRole, checked


@dataclass(frozen=True)
class PersonRecord:
    id: int
    person_ref: str
    given_name: str
    protected_identity: bool
    has_used_mina_sidor: bool
    has_benefit_certificate: bool


@dataclass(frozen=True)
class PrincipalRecord:
    id: int
    person_ref: str
    role: RepresentativeRole


def _record(person: Person) -> PersonRecord:
    return PersonRecord(
        id=person.id,
        person_ref=person.person_ref,
        given_name=person.given_name,
        protected_identity=person.protected_identity,
        has_used_mina_sidor=person.has_used_mina_sidor,
        has_benefit_certificate=person.has_benefit_certificate,
    )


async def ref_for_personnummer_hash(session: AsyncSession, personnummer_hash: str) -> str | None:
    return await session.scalar(
        select(Person.person_ref).where(Person.personnummer_hash == personnummer_hash)
    )


async def get_by_ref(session: AsyncSession, person_ref: str) -> PersonRecord | None:
    person = await session.scalar(select(Person).where(Person.person_ref == person_ref))
    return None if person is None else _record(person)


async def principals_of(session: AsyncSession, representative_id: int) -> list[PrincipalRecord]:
    principal = aliased(Person)
    rows = await session.execute(
        select(principal.id, principal.person_ref, Representation.role)
        .join(principal, principal.id == Representation.principal_id)
        .where(Representation.representative_id == representative_id)
        .order_by(principal.person_ref)
    )
    return [
        PrincipalRecord(
            id=row.id, person_ref=row.person_ref, role=checked(row.role, REPRESENTATIVE_ROLES)
        )
        for row in rows
    ]


async def principal_of(
    session: AsyncSession, representative_id: int, principal_ref: str
) -> PrincipalRecord | None:
    """The principal with that ref, if the representative represents them; else None."""
    principal = aliased(Person)
    row = (
        await session.execute(
            select(principal.id, principal.person_ref, Representation.role)
            .join(principal, principal.id == Representation.principal_id)
            .where(
                Representation.representative_id == representative_id,
                principal.person_ref == principal_ref,
            )
        )
    ).first()
    if row is None:
        return None
    return PrincipalRecord(
        id=row.id, person_ref=row.person_ref, role=checked(row.role, REPRESENTATIVE_ROLES)
    )
