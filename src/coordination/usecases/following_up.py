"""Follow up: record an outcome; apply it by revising the SIP or closing the case."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import update
from sqlmodel import Session, col, select

from coordination.domain.planning import decide_follow_up, require_step
from coordination.domain.vocabulary import ActionStatus, CaseStatus, PersonVerdict
from coordination.errors import RuleViolation
from coordination.domain.events import CaseClosed
from coordination.notifications.handlers import publish
from coordination.persistence.models import Action, CareCase, FollowUp, Member, Sip, SipParticipant
from coordination.usecases.acting import current_sip
from coordination.domain.access import Purpose
from coordination.usecases.access import case_facts, decision, require
from coordination.usecases.common import Actor, audit, today_of
from coordination.usecases import revising
from coordination.usecases.planning import organisation_codes


def record_follow_up(session: Session, actor: Actor, *, case: CareCase, by: Member, outcome: str,
                     needs_remain: bool, next_follow_up: dt.date | None, now: dt.datetime,
                     verdict: PersonVerdict | None = None) -> int:
    """`verdict`: the person's answer to "I get the care and support I need, when I need it and
    where I need it"; None when the person was not asked."""
    record = f"case {case.number}"
    require(session, actor, Purpose.ACT, case, now=now)
    require_step("follow_up", case.status, record=record)
    if not outcome.strip():
        raise RuleViolation("a follow-up records its outcome", record=record, field="outcome",
                            hint="describe what the follow-up found")
    # validate now, so a bad date is refused when staff enter it rather than when applied
    decide_follow_up(needs_remain=needs_remain, next_follow_up=next_follow_up, today=today_of(now), record=record)
    sip = current_sip(session, case)
    follow_up = FollowUp(case_id=case.id, sip_id=sip.id, recorded_by_id=by.id, recorded_at=now, outcome=outcome,
                         needs_remain=needs_remain, next_follow_up=next_follow_up, person_verdict=verdict)
    session.add(follow_up)
    session.flush()
    audit(session, actor, "record", "follow_up", follow_up.id, now=now, person_id=case.person_id)
    return follow_up.id


def apply_follow_ups(session: Session, actor: Actor, *, case: CareCase, now: dt.datetime) -> dict[str, int]:
    """Apply recorded outcomes in order. Needs remain -> a new SIP version with the new
    follow-up date (open actions carry over and are followed up then); needs met -> the case
    closes and open actions are cancelled. Returns counts."""
    pending = session.exec(select(FollowUp).where(col(FollowUp.case_id) == case.id, col(FollowUp.applied_at) == None)  # noqa: E711
                           .order_by(col(FollowUp.id))).all()
    counts = {"applied": 0, "revised": 0, "closed": 0}
    for follow_up in pending:
        if case.status == CaseStatus.CLOSED:
            raise RuleViolation("is closed; a later follow-up cannot be applied", record=f"case {case.number}",
                                field="status", hint="open a new case through identification")
        decision = decide_follow_up(needs_remain=follow_up.needs_remain, next_follow_up=follow_up.next_follow_up,
                                    today=min(today_of(now), today_of(follow_up.recorded_at)),
                                    record=f"case {case.number}")
        sip = current_sip(session, case)
        if decision.next_follow_up is None:  # needs met: the case closes
            _close(session, case, sip, now)
            counts["closed"] += 1
        else:
            new = _revise(session, actor, case, sip, decision.next_follow_up, now)
            follow_up.resulting_sip_id = new.id
            counts["revised"] += 1
        follow_up.applied_at = now
        session.add(follow_up)
        counts["applied"] += 1
        audit(session, actor, "apply", "follow_up", follow_up.id, now=now, person_id=case.person_id)
    return counts


def _revise(session: Session, actor: Actor, case: CareCase, sip: Sip, next_follow_up: dt.date,
            now: dt.datetime) -> Sip:
    plan = replace(revising.content(session, sip), next_follow_up=next_follow_up)
    members = {m.code: m for m in session.exec(select(Member).where(col(Member.code).in_(plan.participants)))}
    return revising.new_version(session, actor, case=case, old=sip, plan=plan, members=members,
                                orgs=organisation_codes(session, members.values()), cause="follow_up", now=now)


def _close(session: Session, case: CareCase, sip: Sip, now: dt.datetime) -> None:
    participants = session.exec(select(SipParticipant.member_id).where(col(SipParticipant.sip_id) == sip.id)).all()
    session.execute(update(Action).where(col(Action.case_id) == case.id,
                                         col(Action.status).in_([ActionStatus.PLANNED, ActionStatus.ASSIGNED]))
                    .values(status=ActionStatus.CANCELLED))
    case.status, case.closed_at, case.flagged_for_meeting = CaseStatus.CLOSED, now, False
    session.add(case)
    facts = case_facts(session, case, now=now)
    # those no longer covered (withdrawn, expired) are told nothing more
    publish(session, CaseClosed(case.number, case.id, tuple(
        (m, decision(session, m, Purpose.NOTIFY, case, now=now, facts=facts).allowed) for m in participants)), now=now)
