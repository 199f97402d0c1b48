"""Identify: report signals, screen them against the criteria, open or flag cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlmodel import Session, select

from coordination.domain.identification import ScreeningPolicy, Signal, screen
from coordination.domain.planning import format_case_number
from coordination.domain.vocabulary import CaseStatus, IdentificationReason, SignalKind
from coordination.notifications import templates
from coordination.notifications.outbox import enqueue, event_key
from coordination.persistence.models import CareCase, CaseSequence, Person, SignalRecord
from coordination.usecases.common import Actor, age, audit, is_child, today_of
from coordination.domain.access import Purpose, shared_consent
from coordination.usecases.access import consent_facts, decision


def report_signal(session: Session, actor: Actor, *, person: Person, kind: SignalKind,
                  occurred_on: dt.date, days: int | None, organisation_id: int | None,
                  now: dt.datetime) -> int:
    signal = SignalRecord(person_id=person.id, kind=kind, occurred_on=occurred_on, days=days,
                          reported_by_id=actor.member_id, organisation_id=organisation_id)
    session.add(signal)
    session.flush()
    audit(session, actor, "report", "signal", signal.id, now=now, person_id=person.id)
    return signal.id


@dataclass
class IdentifyResult:
    screened_persons: int = 0
    opened: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)


def identify(session: Session, actor: Actor, *, now: dt.datetime,
             policy: ScreeningPolicy = ScreeningPolicy()) -> IdentifyResult:
    """Screen every person with new signals. A person who meets a criterion gets a case (or
    their open case gets the new reasons) and is flagged for the next coordination meeting."""
    today = today_of(now)
    result = IdentifyResult()
    person_ids = session.exec(select(SignalRecord.person_id)
                              .where(SignalRecord.screened_at == None).distinct()).all()  # noqa: E711
    since = today - dt.timedelta(days=policy.lookback_days)
    for person_id in sorted(person_ids):
        person = session.get(Person, person_id)
        rows = session.exec(select(SignalRecord).where(SignalRecord.person_id == person_id,
                                                       SignalRecord.occurred_on >= since)).all()
        reasons = screen(age=age(person, today), today=today,
                         signals=[Signal(r.kind, r.occurred_on, r.days) for r in rows])
        result.screened_persons += 1
        if reasons:
            case, is_new = _open_or_flag(session, actor, person, reasons, now=now)
            (result.opened if is_new else result.flagged).append(case.number)
    session.execute(update(SignalRecord).where(SignalRecord.screened_at == None)  # noqa: E711
                    .values(screened_at=now))
    return result


def open_case(session: Session, actor: Actor, *, person: Person, reasons: list[IdentificationReason],
              now: dt.datetime) -> str:
    """Anyone — staff, the person, a relative — may initiate coordination (Socialstyrelsen)."""
    case, _ = _open_or_flag(session, actor, person, reasons or [IdentificationReason.MANUAL], now=now)
    return case.number


def _open_or_flag(session: Session, actor: Actor, person: Person, reasons, *, now: dt.datetime
                  ) -> tuple[CareCase, bool]:
    case = session.exec(select(CareCase).where(CareCase.person_id == person.id,
                                               CareCase.status != CaseStatus.CLOSED)).first()
    is_new = case is None
    if is_new:
        today = today_of(now)
        has_consent = shared_consent(consent_facts(session, person.id), at=now, on=today,
                                     person_is_child=is_child(person, today))
        case = CareCase(number=_next_case_number(session, today_of(now).year), person_id=person.id,
                        status=CaseStatus.CONSENTED if has_consent else CaseStatus.IDENTIFIED,
                        opened_at=now)
    case.reasons = sorted(set(case.reasons) | {str(r) for r in reasons}, key=list(IdentificationReason).index)
    newly_flagged = not case.flagged_for_meeting
    case.flagged_for_meeting = True
    session.add(case)
    session.flush()
    if newly_flagged and case.coordinator_id and \
            decision(session, case.coordinator_id, Purpose.NOTIFY, case, now=now).allowed:
        enqueue(session, key=event_key("case_flagged", case.id, case.coordinator_id, today_of(now)),
                message=templates.case_flagged(case.number), member_id=case.coordinator_id,
                case_number=case.number, now=now)
    audit(session, actor, "open" if is_new else "flag", "case", case.number, now=now, person_id=person.id)
    return case, is_new


def _next_case_number(session: Session, year: int) -> str:
    # A counter row per year, bumped with UPDATE so concurrent openers serialise on its lock.
    seq = session.get(CaseSequence, year)
    if seq is None:
        session.add(CaseSequence(year=year, last=0))
        session.flush()
    last = session.execute(update(CaseSequence).where(CaseSequence.year == year)
                           .values(last=CaseSequence.last + 1).returning(CaseSequence.last)).scalar_one()
    return format_case_number(year, last)
