"""The access matrix: every relationship a member can have × every sharing point × every
consent state, on SQLite and PostgreSQL, through the real use cases.

The expected decision is computed here from a small table written independently of
`domain/access.py`; each refused cell also asserts that nothing was written (the rows are
counted inside the refused transaction, before it is rolled back). The allowed cells are the
positive controls: refusals do not come from refusing everything."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, inspect, select as sa_select, text, update
from sqlmodel import Session, select

from coordination.config.notifications import SweepPolicy
from coordination.domain.vocabulary import ConsentGiver, HandlingTime
from coordination.entrypoints.importer import import_data
from coordination.errors import AccessDenied
from coordination.persistence.engine import get_engine, unit_of_work
from coordination.persistence.models import (
    Action, Block, CareCase, Consent, ConsentParty, Contact, Member, Organisation, SweepNotice,
)
from coordination.usecases import acting, following_up, identify, planning, queries
from coordination.usecases import team_meeting_agenda as meetings
from coordination.usecases.access import refresh_coverage
from coordination.usecases.common import actor_for, member_by_code
from coordination.usecases.sweep import sweep
from tests.conftest import ADMIN, T0

LATER = T0 + dt.timedelta(days=1)
ADULT_STATES = ["none", "valid", "expired", "not_yet_valid", "undocumented_in_one", "organisation_not_named",
                "withdrawn", "blocked"]
CHILD_STATES = ["child_guardian", "child_person", "guardian_not_involved"]
STATES = ADULT_STATES + CHILD_STATES
# who -> (member code, organisation, relationships that the world gives them)
WHO = {
    "coordinator": ("hc-dsk", "hc"),
    "participant": ("hsv-ssk", "hsv"),
    "responsible": ("hsv-at", "hsv"),
    "reporter": ("hsv-rep", "hsv"),
    "manager": ("hsv-chef", "hsv"),
    "outsider": ("bkl-ssk", "bkl"),
    "inactive": ("hsv-off", "hsv"),
}
POINTS = ["read", "action_add", "action_done", "follow_up", "handover", "notify", "meeting"]
TEAM = ("hc-dsk", "hsv-ssk", "hsv-at", "hsv-rep", "hsv-chef", "hsv-off")  # the outsider is in no team

# The independent expectation: organisations a consent state lets share, ...
COVERED = {"none": set(), "valid": {"hc", "hsv"}, "expired": set(), "not_yet_valid": set(),
           "undocumented_in_one": {"hc"}, "organisation_not_named": {"hc"}, "withdrawn": set(),
           "blocked": {"hc", "hsv"}, "child_guardian": {"hc", "hsv"}, "child_person": set(),
           "guardian_not_involved": set()}
# ... and the points each relationship opens (notify: the request itself makes the member responsible)
OPENS = {
    "coordinator": set(POINTS), "participant": set(POINTS), "responsible": set(POINTS),
    # reporting a signal about the person gives no access to any record (design: relationships
    # are earned, never claimed); the reporter is told at the meeting as a member of its team only
    "reporter": {"notify", "meeting"}, "manager": {"read", "notify", "meeting"},
    "outsider": {"notify"}, "inactive": set(POINTS),
}


def expected(point: str, who: str, state: str) -> str:
    """'allowed', or the rule that refuses."""
    code, org = WHO[who]
    if who == "inactive":
        return "commission"
    if point not in OPENS[who]:
        return "care_relationship"
    needs = {org}
    if point == "handover":  # to the other organisation of the case
        needs.add("hsv" if org == "hc" else "hc")
    if point == "action_add":  # the responsible member (hsv-ssk) is told
        needs.add("hsv")
    if not needs <= COVERED[state]:
        return "consent"
    return "allowed"


def area() -> dict:
    member = lambda code, role, org, **kw: dict(code=code, name=f"Member {code}", role=role,  # noqa: E731
                                                organisation=org, **kw)
    persons, consents, signals = [], [], []
    adults = ["19380214-2012", "19410605-2386", "19300923-2756", "19451111-3120", "19520317-3496",
              "19360730-3868", "19480102-4235", "19290418-4609"]
    children = ["20150622-8673", "20110914-9045", "20120315-1202"]
    for state, pnr in zip(STATES, adults + children):
        person = dict(personnummer=pnr, given_name="Secret", family_name=f"Person-{state}")
        consent = dict(person=pnr, scopes=["share_information", "sip"], given_by="person", form="oral",
                       organisations=["hc", "hsv"], documented_in=["hc", "hsv"], valid_from="2026-10-01",
                       recorded_by="hc-dsk")
        if state in CHILD_STATES:
            person["contacts"] = [{"kind": "guardian", "name": f"Guardian {state}"}]
            consent |= dict(given_by="guardian", guardian=f"Guardian {state}")
        persons.append(person)
        consents.append(consent)
        signals.append(dict(person=pnr, kind="hospital_discharge", occurred_on="2026-11-13", reported_by="hsv-rep"))
    return {
        "organisations": [dict(code=c, name=f"Org {c}", organiser="region", unit_type="health_centre")
                          for c in ("hc", "hsv", "ht", "bkl")],
        "members": [member("hc-chef", "unit_manager", "hc"), member("hsv-chef", "unit_manager", "hsv"),
                    member("hc-dsk", "district_nurse", "hc", manager="hc-chef"),
                    member("hsv-ssk", "nurse", "hsv", manager="hsv-chef"),
                    member("hsv-at", "occupational_therapist", "hsv", manager="hsv-chef"),
                    member("hsv-rep", "nurse", "hsv", manager="hsv-chef"),
                    member("hsv-off", "nurse", "hsv", manager="hsv-chef"),
                    member("bkl-ssk", "nurse", "bkl")],
        "persons": persons, "consents": consents, "signals": signals,
    }


@dataclass
class World:
    url: str
    cases: dict[str, str]  # state -> case number
    action_of_participant: dict[str, int]  # state -> action id responsible hsv-ssk


def build_world(url: str) -> World:
    with unit_of_work(url) as s:
        import_data(s, ADMIN, area(), now=T0)
    with unit_of_work(url) as s:
        identify.identify(s, ADMIN, now=T0)
    cases, actions = {}, {}
    with unit_of_work(url) as s:
        m = {code: member_by_code(s, code) for code in ("hc-dsk", "hsv-ssk", "hsv-at", "hsv-off")}
        for state, case in zip(STATES, s.exec(select(CareCase).order_by(CareCase.number)).all()):
            cases[state] = case.number
            planning.submit_assessment(s, ADMIN, case=case, author=m["hc-dsk"], what_matters="Stay at home",
                                       situation="SBAR-SECRET-S", background="B", current_status="A",
                                       recommendation="R", needs={}, professions=[], handling_time="next_day",
                                       now=T0)
            planning.accept_assessment(s, ADMIN, case=case, now=T0)
            planning.create_sip(s, ADMIN, case=case, coordinator=m["hc-dsk"],
                                participants=[m["hsv-ssk"], m["hsv-off"]], plan_b=None, other_plans=[],
                                what_matters="Stay at home", next_follow_up=dt.date(2026, 12, 16),
                                actions=[planning.PlannedAction("Wound care", m["hsv-ssk"].id, HandlingTime.URGENT),
                                         planning.PlannedAction("Aids", m["hsv-at"].id, HandlingTime.URGENT)],
                                assessment_id=None, now=T0)
            acting.dispatch_actions(s, ADMIN, case=case, now=T0)
            actions[state] = s.exec(select(Action.id).where(Action.case_id == case.id,
                                                            Action.responsible_id == m["hsv-ssk"].id)).one()
    with unit_of_work(url) as s:
        s.execute(update(Member).where(Member.code == "hsv-off").values(active=False))
        for state, number in cases.items():
            case = s.exec(select(CareCase).where(CareCase.number == number)).one()
            _put_in_state(s, state, case)
            refresh_coverage(s, case.person_id, now=LATER)
    return World(url, cases, actions)


def _put_in_state(s: Session, state: str, case: CareCase) -> None:
    consent = s.exec(select(Consent).where(Consent.person_id == case.person_id)).one()
    org = {o.code: o.id for o in s.exec(select(Organisation))}
    if state == "none":
        s.execute(ConsentParty.__table__.delete().where(ConsentParty.consent_id == consent.id))
        s.execute(text("DELETE FROM consentcoverage WHERE consent_id = :c"), {"c": consent.id})
        s.execute(update(Consent).where(Consent.id == consent.id).values(scopes=[]))
    elif state == "expired":
        consent.valid_until = dt.date(2026, 11, 16)
    elif state == "not_yet_valid":
        consent.valid_from = dt.date(2026, 12, 1)
    elif state == "undocumented_in_one":
        s.execute(update(ConsentParty).where(ConsentParty.consent_id == consent.id,
                                             ConsentParty.organisation_id == org["hsv"]).values(documented_at=None))
    elif state == "organisation_not_named":
        s.execute(update(ConsentParty).where(ConsentParty.consent_id == consent.id,
                                             ConsentParty.organisation_id == org["hsv"])
                  .values(organisation_id=org["ht"]))
    elif state == "withdrawn":
        consent.withdrawn_at = T0 + dt.timedelta(hours=1)
    elif state == "blocked":
        s.add(Block(person_id=case.person_id, organisation_id=org["hc"], placed_at=T0 + dt.timedelta(hours=1)))
    elif state == "child_person":
        consent.given_by = ConsentGiver.PERSON
    elif state == "guardian_not_involved":
        s.execute(update(Contact).where(Contact.person_id == case.person_id).values(may_be_involved=False))
    s.add(consent)
    s.flush()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory, sqlite_template):
    import shutil

    from coordination.persistence import schema
    from tests.support import scratch_pg_database

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "matrix.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url, drop = scratch_pg_database(request.getfixturevalue("pg_server"))
        request.addfinalizer(drop)
        schema.upgrade(url)
    yield build_world(url)
    get_engine(url).dispose()


def _counts(conn) -> dict[str, int]:
    tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
    return {t: conn.execute(sa_select(func.count()).select_from(text(f'"{t}"'))).scalar_one() for t in tables}


def attempt(world: World, point: str, who: str, state: str):
    """Run the sharing point as the member inside a transaction that is always rolled back.
    Returns ('allowed', result) or (rule, counts before, counts after the refusal)."""
    engine = get_engine(world.url)
    code, org = WHO[who]
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            before = _counts(conn)
            session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
            actor = actor_for(session, code)
            case = session.exec(select(CareCase).where(CareCase.number == world.cases[state])).one()
            try:
                result = _run(session, point, actor, code, org, case, world.action_of_participant[state])
                session.flush()
                return "allowed", result
            except AccessDenied as exc:
                return exc.rule, before, _counts(conn)
        finally:
            outer.rollback()


def _run(s, point, actor, code, org, case, action_id):
    if point == "read":
        return queries.case_record(s, actor, case.number, now=LATER)
    if point == "action_add":
        return acting.add_action(s, actor, case=case, responsible=member_by_code(s, "hsv-ssk"),
                                 description="Check medication", handling_time=HandlingTime.NEXT_DAY,
                                 follow_up_date=None, now=LATER)
    if point == "action_done":
        return acting.complete_action(s, actor, action_id=action_id, now=LATER)
    if point == "follow_up":
        return following_up.record_follow_up(s, actor, case=case, by=member_by_code(s, code), outcome="Better",
                                             needs_remain=True, next_follow_up=dt.date(2027, 1, 20), now=LATER)
    if point == "handover":
        return planning.share_information(s, actor, case_number=case.number, from_org=org,
                                          to_org="hsv" if org == "hc" else "hc", now=LATER)
    if point == "notify":  # the system dispatches an action to this member
        return acting.add_action(s, ADMIN, case=case, responsible=member_by_code(s, code),
                                 description="Visit", handling_time=HandlingTime.NEXT_DAY, follow_up_date=None,
                                 now=LATER)
    if point == "meeting":
        return meetings.agenda_for(s, actor, team_name="Team", organisations=("hc", "hsv"), members=TEAM,
                                   now=LATER)


CELLS = [(p, w, s) for p in POINTS for w in WHO for s in STATES]


@pytest.mark.parametrize("point, who, state", CELLS, ids=["-".join(c) for c in CELLS])
def test_cell(world, point, who, state):
    want = expected(point, who, state)
    if point == "meeting" and want == "consent":
        # the agenda is shown, but the case appears only as "consent needed"
        outcome = attempt(world, point, who, state)
        assert outcome[0] == "allowed"
        line = outcome[1].line(world.cases[state])
        assert line.consented is False and "Secret" not in str(line)
        return
    outcome = attempt(world, point, who, state)
    assert outcome[0] == want, outcome[1:] if want == "allowed" else outcome
    if want != "allowed":
        assert outcome[1] == outcome[2], "a refused attempt wrote rows"
    elif point == "read":
        record = outcome[1]
        assert "Secret" in record["person"]
        hidden = state == "blocked" and WHO[who][1] != "hc"  # the SBAR came from hc, which the person blocked
        assert ("SBAR-SECRET-S" in str(record["assessment"])) is not hidden
    elif point == "meeting":
        assert outcome[1].line(world.cases[state]).consented is True


@pytest.mark.parametrize("state", STATES)
def test_the_sweep_tells_only_those_the_policy_allows(world, state):
    """The set-based sweep joins the consent coverage rows; its recipients for each case must be
    exactly those the access policy lets be notified. Members who took part and are inactive,
    or whose organisation the consent no longer covers, are told nothing; no deviation is recorded
    for an item of an organisation the consent does not cover."""
    engine = get_engine(world.url)
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            s = Session(bind=conn, join_transaction_mode="create_savepoint")
            sweep(s, now=T0 + dt.timedelta(days=10), policy=SweepPolicy())
            s.flush()
            told = set(s.exec(select(Member.code).join(SweepNotice, SweepNotice.recipient_id == Member.id)
                              .where(SweepNotice.case_number == world.cases[state])).all())
        finally:
            outer.rollback()
    # overdue actions of hsv-ssk and hsv-at, escalated to their manager hsv-chef
    candidates = {"hsv-ssk": "hsv", "hsv-at": "hsv", "hsv-chef": "hsv"}
    assert told == {c for c, o in candidates.items() if o in COVERED[state]}
