"""The demo persons (Luhn-valid test numbers, fictional names) and their situations.

Days are relative to the load day: negative in the past, positive ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

from casebackend.vocabulary import Benefit, CaseEventType, RepresentativeRole

KRONOR = 100  # öre per krona


@dataclass(frozen=True)
class DemoEvent:
    type: CaseEventType
    day: int


@dataclass(frozen=True)
class DemoCase:
    case_ref: str
    benefit: Benefit
    opened_day: int
    accepts_attachments: bool
    events: tuple[DemoEvent, ...]
    expected_decision_day: int | None = None


@dataclass(frozen=True)
class DemoPayment:
    benefit: Benefit
    day: int
    amount_ore: int
    preliminary: bool
    case_ref: str | None


@dataclass(frozen=True)
class DemoPerson:
    personnummer: str
    given_name: str
    protected_identity: bool = False
    has_used_mina_sidor: bool = True
    has_benefit_certificate: bool = False
    # SMS notices chosen on Mina sidor, and the mobile number (E.164) they go to.
    sms_notifications: bool = False
    mobile_number: str | None = None
    cases: tuple[DemoCase, ...] = ()
    payments: tuple[DemoPayment, ...] = ()
    # (principal's personnummer, role)
    represents: tuple[tuple[str, RepresentativeRole], ...] = ()


def _monthly(
    benefit: Benefit, first_day: int, amount_ore: int, count: int, case_ref: str
) -> tuple[DemoPayment, ...]:
    """The next payment (final) and `count - 1` preliminary ones every 30 days after it."""
    return tuple(
        DemoPayment(
            benefit=benefit,
            day=first_day + 30 * index,
            amount_ore=amount_ore,
            preliminary=index > 0,
            case_ref=case_ref,
        )
        for index in range(count)
    )


TOLVAN = DemoPerson(
    personnummer="19121212-1212",
    given_name="Tolvan",
    has_used_mina_sidor=True,
    # Numbers from +46 70 174 06 05 ... 99, the range PTS reserves for fiction.
    sms_notifications=True,
    mobile_number="+46701740605",
    cases=(
        DemoCase(
            case_ref="CASE-121201",
            benefit="sjukpenning",
            opened_day=-20,
            accepts_attachments=False,
            expected_decision_day=14,
            events=(
                DemoEvent("application_received", -20),
                DemoEvent("medical_certificate_received", -12),
            ),
        ),
        DemoCase(
            case_ref="CASE-121202",
            benefit="bostadsbidrag",
            opened_day=-6,
            accepts_attachments=True,
            events=(
                DemoEvent("application_received", -6),
                DemoEvent("complement_requested", -2),
            ),
        ),
    ),
    payments=_monthly("sjukpenning", 9, 12_345 * KRONOR, 3, "CASE-121201"),
)

TIO = DemoPerson(
    personnummer="19101010-1010",
    given_name="Tio",
    protected_identity=True,
    sms_notifications=True,
    mobile_number="+46701740606",
    cases=(
        DemoCase(
            case_ref="CASE-101001",
            benefit="foraldrapenning",
            opened_day=-30,
            accepts_attachments=False,
            events=(DemoEvent("application_received", -30), DemoEvent("decision_made", -25)),
        ),
    ),
    payments=_monthly("foraldrapenning", 5, 8_760 * KRONOR, 1, "CASE-101001"),
)

FYRA = DemoPerson(
    personnummer="19400404-0400",
    given_name="Fyra",
    has_used_mina_sidor=False,
    has_benefit_certificate=True,
    cases=(
        DemoCase(
            case_ref="CASE-040401",
            benefit="sjukersattning",
            opened_day=-230,
            accepts_attachments=False,
            events=(DemoEvent("decision_made", -200),),
        ),
    ),
    payments=_monthly("sjukersattning", 12, 11_432 * KRONOR, 4, "CASE-040401"),
)

ELVA = DemoPerson(
    personnummer="19111111-1116",
    given_name="Elva",
    represents=((FYRA.personnummer, "god_man"),),
)

ATTA = DemoPerson(
    personnummer="20080808-0808",
    given_name="Åtta",
    has_used_mina_sidor=False,
)

DEMO_PERSONS: tuple[DemoPerson, ...] = (TOLVAN, TIO, ELVA, FYRA, ATTA)
