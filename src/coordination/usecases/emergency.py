"""Emergency access (nödåtkomst), as the national authorisation model has it: a member who has
no relationship with a case may open it to read, by stating why, for a limited time, warned
that the opening is reviewed. The consent and any block still apply: emergency access stands in
for the care relationship only. Each opening is audited and listed for the log review."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordination import settings
from coordination.domain import access as policy
from coordination.domain.access import Purpose
from coordination.errors import InvalidInput, RuleViolation
from coordination.persistence.models import CareCase, EmergencyAccess
from coordination.usecases.access import case_facts, decision, member_facts, require_verdict
from coordination.usecases.common import Actor, acting_member, audit


def open_emergency_access(session: Session, actor: Actor, *, case: CareCase, reason: str, now: dt.datetime) -> dt.datetime:
    """Returns when the access ends."""
    record = f"case {case.number}"
    member_id = acting_member(actor, record=record)
    require_verdict(policy.commission(member_facts(session, member_id)), actor, "emergency access", record=record,
                    person_id=case.person_id)
    if len(reason.strip()) < 10:
        raise InvalidInput("does not say why", record=record, field="reason",
                           hint="say why the person's care needs you to read the case now (at least a sentence)")
    if decision(session, member_id, Purpose.READ, case, now=now).allowed:
        raise RuleViolation("you may already read this case", record=record, field="case",
                            hint="open the case page; emergency access is for a case you have no part in")
    ends = now + settings.emergency_access()
    session.add(EmergencyAccess(member_id=member_id, case_id=case.id, reason=reason.strip(), started_at=now,
                                ends_at=ends))
    session.flush()
    # with the consent or a block still refusing, nothing is opened: the refusal names the rule
    verdict = decision(session, member_id, Purpose.READ, case, now=now, facts=case_facts(session, case, now=now))
    require_verdict(verdict, actor, "emergency access", record=record, person_id=case.person_id)
    audit(session, actor, "emergency_access", "case", case.number, now=now, person_id=case.person_id)
    return ends


def active_until(session: Session, member_id: int, case: CareCase, *, now: dt.datetime) -> dt.datetime | None:
    """When the member's emergency access to the case ends, if they read it by one now."""
    return session.exec(select(EmergencyAccess.ends_at).where(
        col(EmergencyAccess.member_id) == member_id, col(EmergencyAccess.case_id) == case.id,
        col(EmergencyAccess.started_at) <= now, col(EmergencyAccess.ends_at) > now)
        .order_by(col(EmergencyAccess.ends_at).desc())).first()
