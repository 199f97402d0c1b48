"""Identify: report signals, screen them against the criteria, open or flag cases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import EllipsisType

from sqlalchemy import insert, select as select_rows, update
from sqlmodel import Session, col, select

from coordination.domain.identification import ScreeningPolicy, Signal, screen
from coordination.domain.personnummer import age_on
from coordination.domain.planning import format_case_number
from coordination.domain.vocabulary import CaseStatus, IdentificationReason, Initiator, SignalKind
from coordination.errors import N_, InvalidInput
from coordination.domain.events import CaseFlagged
from coordination.notifications.handlers import publish
from coordination.persistence.models import (
    AuditEvent, CareCase, CaseSequence, Member, Person, SignalRecord, UnregisteredSignal, table_of,
)
from coordination.usecases.common import Actor, audit, is_child, referenced, today_of
from coordination.domain.access import Purpose, commission, shared_consent
from coordination.usecases.access import consent_facts, consent_facts_for, decision, member_facts, require_verdict


def check_signal(occurred_on: dt.date, days: int | None, *, today: dt.date, record: str = "signal") -> None:
    """What a signal says, checked before anyone is looked up: the answer to a bad signal is the
    same whether or not the person is known."""
    if occurred_on > today:
        raise InvalidInput(f"{occurred_on} is in the future", record=record, field="occurred_on",
                           hint="report what has happened: today or an earlier date",
                           why=N_("Report what has happened: today or an earlier date."))
    if days is not None and not 1 <= days <= 365:
        raise InvalidInput(f"{days} is not a number of days from 1 to 365", record=record, field="days",
                           hint="give the length of the absence in days",
                           why=N_("Give the length of the absence in days, 1 to 365."))


def report_signal(session: Session, actor: Actor, *, person: Person, kind: SignalKind,
                  occurred_on: dt.date, days: int | None, organisation_id: int | None,
                  now: dt.datetime, record: str = "signal") -> int:
    """A staff member's observation about a person; `identify` screens it against the criteria."""
    check_signal(occurred_on, days, today=today_of(now), record=record)
    signal = SignalRecord(person_id=person.id, kind=kind, occurred_on=occurred_on, days=days,
                          reported_by_id=actor.member_id, organisation_id=organisation_id)
    session.add(signal)
    session.flush()
    audit(session, actor, "report", "signal", signal.id, now=now, person_id=person.id)
    return signal.id


def report_signal_as_member(session: Session, actor: Actor, *, personnummer: str, kind: SignalKind,
                            occurred_on: dt.date, days: int | None, reporter: Member, now: dt.datetime) -> int:
    """A member's signal, taken alike whether or not anyone has the personnummer: a signal for a
    registered person, or one kept until the person is registered. Either way the member is told
    the same, and learns what became of it only on their own list (`my_signals`)."""
    person = session.exec(select(Person).where(col(Person.personnummer) == personnummer)).first()
    if person is not None:
        return report_signal(session, actor, person=person, kind=kind, occurred_on=occurred_on, days=days,
                             organisation_id=reporter.organisation_id, now=now)
    kept = UnregisteredSignal(personnummer=personnummer, kind=kind, occurred_on=occurred_on, days=days,
                              reported_by_id=reporter.id, organisation_id=reporter.organisation_id, reported_at=now)
    session.add(kept)
    session.flush()
    audit(session, actor, "report", "signal", f"unregistered {kept.id}", now=now)
    return kept.id


def adopt_registered(session: Session, *, now: dt.datetime) -> int:
    """Kept signals whose person has since been registered become the person's signals, to be
    screened now like any new one. Those still without a person are marked looked at."""
    kept = session.exec(select(UnregisteredSignal, Person.id)
                        .join(Person, col(Person.personnummer) == UnregisteredSignal.personnummer)).all()
    for signal, person_id in kept:
        session.add(SignalRecord(person_id=person_id, kind=signal.kind, occurred_on=signal.occurred_on, days=signal.days,
                                 reported_by_id=signal.reported_by_id, organisation_id=signal.organisation_id,
                                 source=signal.source))
        session.delete(signal)
    session.execute(update(UnregisteredSignal).where(col(UnregisteredSignal.screened_at) == None)  # noqa: E711
                    .values(screened_at=now))
    session.flush()
    return len(kept)


@dataclass(frozen=True)
class SignalOutcome:
    """What became of a signal, as its reporter may see it: the case number and nothing more.
    Reporting gives no access to the record, so nothing about the person is shown."""
    id: int
    kind: str
    occurred_on: dt.date
    outcome: str  # waiting | no_criterion | opened | added
    case_number: str | None = None


def my_signals(session: Session, actor: Actor, *, limit: int = 50) -> list[SignalOutcome]:
    """The member's own signals, newest first, and what identification made of each: a new case,
    reasons added to the person's open case, or no criterion met."""
    if actor.member_id is None:
        return []
    signals = session.exec(select(SignalRecord).where(col(SignalRecord.reported_by_id) == actor.member_id)
                           .order_by(col(SignalRecord.id).desc()).limit(limit)).all()
    cases = session.exec(select(CareCase).where(col(CareCase.person_id).in_({s.person_id for s in signals}))
                         .order_by(col(CareCase.opened_at))).all()
    out = []
    # kept until the person is registered: shown as any other, without saying why
    for kept in session.exec(select(UnregisteredSignal).where(col(UnregisteredSignal.reported_by_id) == actor.member_id)
                             .order_by(col(UnregisteredSignal.id).desc()).limit(limit)):
        out.append(SignalOutcome(kept.id, str(kept.kind), kept.occurred_on,
                                 "waiting" if kept.screened_at is None else "no_criterion"))
    for signal in signals:
        if signal.screened_at is None:
            out.append(SignalOutcome(signal.id, str(signal.kind), signal.occurred_on, "waiting"))
            continue
        # the person's case that was open when the signal was screened, if any
        case = next((c for c in reversed(cases) if c.person_id == signal.person_id
                     and c.opened_at <= signal.screened_at
                     and (c.closed_at is None or c.closed_at >= signal.screened_at)), None)
        outcome = "no_criterion" if case is None else "opened" if case.opened_at == signal.screened_at else "added"
        out.append(SignalOutcome(signal.id, str(signal.kind), signal.occurred_on, outcome,
                                 case.number if case else None))
    return sorted(out, key=lambda o: o.occurred_on, reverse=True)[:limit]


CHUNK = 5000  # persons whose cases open at once: bounds the IN lists and what is held in memory


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
    adopt_registered(session, now=now)
    # Three set-based reads for everyone with new signals (a region screens many thousands of
    # persons a morning), then statements only for those who meet a criterion.
    unscreened = select(SignalRecord.person_id).where(col(SignalRecord.screened_at) == None).distinct()  # noqa: E711
    since = today - dt.timedelta(days=policy.lookback_days)
    # plain rows, not entities: thousands of entities in the session would slow every flush below
    persons: dict[int, dt.date] = dict(session.execute(select(col(Person.id), col(Person.birth_date)).where(col(Person.id).in_(unscreened))).all())
    signals: dict[int, list[Signal]] = {pid: [] for pid in persons}
    for pid, kind, occurred_on, days in session.exec(
            select(col(SignalRecord.person_id), col(SignalRecord.kind), col(SignalRecord.occurred_on),
                   col(SignalRecord.days))
            .where(col(SignalRecord.person_id).in_(unscreened), col(SignalRecord.occurred_on) >= since)):
        signals[pid].append(Signal(kind, occurred_on, days))
    open_cases = {c.person_id: c for c in session.exec(select(CareCase).where(
        col(CareCase.person_id).in_(unscreened), col(CareCase.status) != CaseStatus.CLOSED))}
    new: list[tuple[int, list[IdentificationReason]]] = []
    for person_id in sorted(persons):
        reasons = screen(age=age_on(persons[person_id], today), today=today, signals=signals[person_id],
                         policy=policy)
        result.screened_persons += 1
        if not reasons:
            continue
        if person_id in open_cases:  # flagged again, and the coordinator told: one case at a time
            case, _ = _open_or_flag(session, actor, referenced(session, Person, person_id), reasons, now=now,
                                    case=open_cases[person_id])
            result.flagged.append(case.number)
        else:
            new.append((person_id, reasons))
    for start in range(0, len(new), CHUNK):
        result.opened += _open_many(session, actor, new[start:start + CHUNK], now=now)
    session.execute(update(SignalRecord).where(col(SignalRecord.screened_at) == None)  # noqa: E711
                    .values(screened_at=now))
    return result


def open_case(session: Session, actor: Actor, *, person: Person, reasons: list[IdentificationReason],
              now: dt.datetime, initiated_by: Initiator = Initiator.STAFF) -> str:
    """Anyone — staff, the person, a relative — may initiate coordination (Socialstyrelsen); a
    member records who did. An open case is flagged again and keeps its first initiator. Opening
    gives the member no relationship with the case; an inactive member opens nothing."""
    if actor.member_id is not None:
        require_verdict(commission(member_facts(session, actor.member_id)), actor, "open case", record="case")
    case, _ = _open_or_flag(session, actor, person, reasons or [IdentificationReason.MANUAL], now=now,
                            initiated_by=initiated_by)
    return case.number


def _open_or_flag(session: Session, actor: Actor, person: Person, reasons: list[IdentificationReason], *,
                  now: dt.datetime, case: CareCase | None | EllipsisType = ...,
                  initiated_by: Initiator = Initiator.IDENTIFICATION) -> tuple[CareCase, bool]:
    """`case`: the person's open case when the caller already looked it up (None: there is none)."""
    if isinstance(case, EllipsisType):
        case = session.exec(select(CareCase).where(col(CareCase.person_id) == person.id,
                                                   col(CareCase.status) != CaseStatus.CLOSED)).first()
    is_new = case is None
    if case is None:
        today = today_of(now)
        has_consent = shared_consent(consent_facts(session, person.id), at=now, on=today,
                                     person_is_child=is_child(person, today))
        case = CareCase(number=_next_case_number(session, today_of(now).year), person_id=person.id,
                        status=CaseStatus.CONSENTED if has_consent else CaseStatus.IDENTIFIED,
                        opened_at=now, initiated_by=initiated_by)
    case.reasons = sorted(set(case.reasons) | {str(r) for r in reasons}, key=_reason_order)
    newly_flagged = not case.flagged_for_meeting
    case.flagged_for_meeting = True
    session.add(case)
    session.flush()
    if newly_flagged and case.coordinator_id:
        may_tell = decision(session, case.coordinator_id, Purpose.NOTIFY, case, now=now).allowed
        publish(session, CaseFlagged(case.number, case.id, case.coordinator_id, may_tell, today_of(now)), now=now)
    audit(session, actor, "open" if is_new else "flag", "case", case.number, now=now, person_id=person.id)
    return case, is_new


def _open_many(session: Session, actor: Actor, batch: list[tuple[int, list]], *, now: dt.datetime) -> list[str]:
    """New cases for many persons at once, as `_open_or_flag` opens one: the numbers in one
    UPDATE, the consents in a few queries, the cases and their audit events in one INSERT each.
    A new case has no coordinator yet, so nobody is told."""
    today = today_of(now)
    ids = [person_id for person_id, _ in batch]
    people = {p.id: p for p in session.execute(select_rows(
        col(Person.id), col(Person.personnummer), col(Person.birth_date), col(Person.is_coordination_number))
        .where(col(Person.id).in_(ids)))}
    consents = consent_facts_for(session, ids)
    numbers = _next_case_numbers(session, today.year, len(batch))
        # Core INSERTs: the ORM's per-row bookkeeping is not needed for rows this use case never reads
    session.execute(insert(table_of(CareCase)), [
        dict(number=number, person_id=person_id, flagged_for_meeting=True, opened_at=now,
             initiated_by=Initiator.IDENTIFICATION,
             reasons=sorted({str(r) for r in reasons}, key=_reason_order),
             status=CaseStatus.CONSENTED if shared_consent(consents[person_id], at=now, on=today,
                                                           person_is_child=is_child(people[person_id], today))
             else CaseStatus.IDENTIFIED)
        for number, (person_id, reasons) in zip(numbers, batch)])
    session.execute(insert(table_of(AuditEvent)), [
        dict(at=now, actor_id=actor.member_id, actor=actor.label, action="open", record_type="case",
             record_id=number, person_id=person_id) for number, (person_id, _) in zip(numbers, batch)])
    return numbers


def _reason_order(reason: str) -> int:
    return list(IdentificationReason).index(IdentificationReason(reason))


def _next_case_number(session: Session, year: int) -> str:
    return _next_case_numbers(session, year, 1)[0]


def _next_case_numbers(session: Session, year: int, count: int) -> list[str]:
    # A counter row per year, bumped with UPDATE so concurrent openers serialise on its lock.
    seq = session.get(CaseSequence, year)
    if seq is None:
        session.add(CaseSequence(year=year, last=0))
        session.flush()
    last: int = session.execute(update(CaseSequence).where(col(CaseSequence.year) == year)
                           .values(last=col(CaseSequence.last) + count).returning(col(CaseSequence.last))).scalar_one()
    return [format_case_number(year, number) for number in range(last - count + 1, last + 1)]
