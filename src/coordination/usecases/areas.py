"""Which team's area a case belongs to, and so on whose coordination meeting's agenda it is.

A case belongs to the area of the organisations whose signals opened it, and of the
organisation its coordinator comes from. A signal reported after the case was opened does not
move it into the reporter's area: otherwise reporting a signal would put any person's case on
the reporter's own team's agenda, and give that team a say over it (design: "reporting a
signal gives no access to a record"). The agenda, the meeting's decisions and the access
policy's `PREPARING` relationship all ask this module, so they cannot disagree."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import Session, col, select

from coordination.config.teams import Team, load_teams
from coordination.errors import InvalidInput
from coordination.domain.vocabulary import CaseStatus
from coordination.persistence.models import CareCase, Member, Organisation, SignalRecord


log = logging.getLogger(__name__)


def of_area(organisation_ids: Sequence[int]) -> ColumnElement[bool]:
    """SQL: the case, open or closed, belongs to the area of these organisations (the annual
    report counts the closed ones too)."""
    opened_by = exists().where(col(SignalRecord.person_id) == CareCase.person_id,
                               col(SignalRecord.organisation_id).in_(organisation_ids),
                               col(SignalRecord.screened_at) <= CareCase.opened_at)
    coordinated = col(CareCase.coordinator_id).in_(
        select(Member.id).where(col(Member.organisation_id).in_(organisation_ids)))
    return or_(opened_by, coordinated)


def in_area(organisation_ids: Sequence[int]) -> ColumnElement[bool]:
    """SQL: the open case belongs to the area of these organisations: on its meetings' agenda."""
    return and_(col(CareCase.status) != CaseStatus.CLOSED, of_area(organisation_ids))


def organisation_ids(session: Session, codes: Iterable[str]) -> list[int]:
    return list(session.exec(select(Organisation.id).where(col(Organisation.code).in_(list(codes)))).all())


def case_in_area(session: Session, case: CareCase, team: Team) -> bool:
    return session.exec(select(CareCase.id).where(col(CareCase.id) == case.id,
                                                  in_area(organisation_ids(session, team.organisations)))).first() \
        is not None


def preparing_members(session: Session, cases: Sequence[CareCase]) -> dict[int, set[int]]:
    """For each case flagged for its area's coming meeting: the members of that area's teams,
    who describe the person in SBAR and share it in the team before the meeting (the agreed
    preparation). Ends when the case is no longer flagged. Keyed by case id."""
    flagged = [c for c in cases if c.flagged_for_meeting and c.status != CaseStatus.CLOSED]
    if not flagged:
        return {}
    try:
        teams = load_teams()
    except InvalidInput as exc:  # no readable teams file: nobody prepares (the policy fails closed)
        log.warning("the teams file cannot be read (field %s): no team prepares flagged cases", exc.field)
        return {}
    codes = {t.code for team in teams for t in team.members}
    member_ids = dict(session.exec(select(Member.code, Member.id).where(col(Member.code).in_(codes))).all())
    found: dict[int, set[int]] = {}
    for team in teams:
        ids = [member_ids[t.code] for t in team.members if t.code in member_ids]
        if not ids:
            continue
        in_team = session.exec(select(CareCase.id).where(
            col(CareCase.id).in_([c.id for c in flagged]),
            in_area(organisation_ids(session, team.organisations)))).all()
        for case_id in in_team:
            found.setdefault(case_id, set()).update(ids)
    return found
