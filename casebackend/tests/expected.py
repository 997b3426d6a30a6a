"""What the demo data must look like, written out from the specification (not imported from the
demo module, so a change there that breaks the contract fails the tests). Days are relative to
the load day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class ExpectedCase:
    benefit: str
    accepts_attachments: bool
    events: tuple[tuple[str, int], ...]  # newest first
    expected_decision_day: int | None = None


@dataclass(frozen=True)
class ExpectedPerson:
    given_name: str
    personnummer: str
    protected_identity: bool
    has_used_mina_sidor: bool | None  # None: not specified
    has_benefit_certificate: bool | None
    cases: tuple[ExpectedCase, ...] = ()  # newest opened first
    payments: tuple[tuple[str, int, int, bool], ...] = ()  # benefit, day, öre, preliminary
    represents: tuple[tuple[str, str], ...] = ()  # (given name, role)


PERSONS: dict[str, ExpectedPerson] = {
    "Tolvan": ExpectedPerson(
        given_name="Tolvan",
        personnummer="19121212-1212",
        protected_identity=False,
        has_used_mina_sidor=True,
        has_benefit_certificate=None,
        cases=(
            ExpectedCase(
                "bostadsbidrag",
                True,
                (("complement_requested", -2), ("application_received", -6)),
            ),
            ExpectedCase(
                "sjukpenning",
                False,
                (("medical_certificate_received", -12), ("application_received", -20)),
                expected_decision_day=14,
            ),
        ),
        payments=(
            ("sjukpenning", 9, 1_234_500, False),
            ("sjukpenning", 39, 1_234_500, True),
            ("sjukpenning", 69, 1_234_500, True),
        ),
    ),
    "Tio": ExpectedPerson(
        given_name="Tio",
        personnummer="19101010-1010",
        protected_identity=True,
        has_used_mina_sidor=None,
        has_benefit_certificate=None,
        cases=(
            ExpectedCase(
                "foraldrapenning",
                False,
                (("decision_made", -25), ("application_received", -30)),
            ),
        ),
        payments=(("foraldrapenning", 5, 876_000, False),),
    ),
    "Elva": ExpectedPerson(
        given_name="Elva",
        personnummer="19111111-1116",
        protected_identity=False,
        has_used_mina_sidor=None,
        has_benefit_certificate=None,
        represents=(("Fyra", "god_man"),),
    ),
    "Fyra": ExpectedPerson(
        given_name="Fyra",
        personnummer="19400404-0400",
        protected_identity=False,
        has_used_mina_sidor=None,
        has_benefit_certificate=True,
        cases=(ExpectedCase("sjukersattning", False, (("decision_made", -200),)),),
        payments=(
            ("sjukersattning", 12, 1_143_200, False),
            ("sjukersattning", 42, 1_143_200, True),
            ("sjukersattning", 72, 1_143_200, True),
            ("sjukersattning", 102, 1_143_200, True),
        ),
    ),
    "Åtta": ExpectedPerson(
        given_name="Åtta",
        personnummer="20080808-0808",
        protected_identity=False,
        has_used_mina_sidor=False,
        has_benefit_certificate=None,
    ),
}
NAMES = tuple(PERSONS)


def day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()
