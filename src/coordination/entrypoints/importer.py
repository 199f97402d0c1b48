"""Import a JSON or YAML file of organisations, members, persons, consents, signals,
assessments (SBAR handovers) and follow-up outcomes.

The whole file is one transaction: the first bad record stops the import with its section,
index and field named, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, select

from coordination.domain.vocabulary import (
    CaseStatus, ConsentForm, ConsentGiver, ConsentScope, ContactKind, HandlingTime, Placement,
    PersonVerdict, PlacementLaw, SignalKind,
)
from coordination.config.notifications import check_target
from coordination.i18n import LOCALES
from coordination.errors import InvalidInput, NotFound
from coordination.parsing import TextDatesLoader
from coordination.persistence.models import CareCase, MemberBase, OrganisationBase
from coordination.usecases import consent as consent_uc
from coordination.usecases import following_up, identify, planning, registry
from coordination.usecases.common import (
    Actor, member_by_code, organisation_by_code, person_by_personnummer, today_of,
)

SECTIONS = ("organisations", "members", "persons", "consents", "signals", "assessments", "follow_ups")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrganisationIn(OrganisationBase):
    model_config = ConfigDict(extra="forbid")


class MemberIn(MemberBase):
    model_config = ConfigDict(extra="forbid")
    organisation: str
    manager: str | None = None


class ContactIn(_Strict):
    kind: ContactKind
    name: str = Field(min_length=1)
    phone: str | None = None
    email: str | None = None
    personnummer: str | None = None
    may_be_involved: bool = True


class PersonIn(_Strict):
    personnummer: str
    given_name: str = Field(min_length=1)
    family_name: str = Field(min_length=1)
    address: str | None = None
    phone: str | None = None
    protected_identity: bool = False
    placement: Placement | None = None
    placement_law: PlacementLaw | None = None
    residence_hidden_from_guardians: bool = False
    contacts: list[ContactIn] = []


class ConsentIn(_Strict):
    person: str
    scopes: list[ConsentScope] = Field(min_length=1)
    given_by: ConsentGiver
    guardian: str | None = None
    second_guardian: str | None = None  # a child's two guardians consent together
    sole_guardian_reason: str | None = None  # or why one guardian's consent is enough
    form: ConsentForm
    organisations: list[str] = Field(min_length=2)
    documented_in: list[str] = []
    valid_from: dt.date
    valid_until: dt.date | None = None
    recorded_by: str | None = None


class SignalIn(_Strict):
    person: str
    kind: SignalKind
    occurred_on: dt.date
    days: int | None = Field(default=None, ge=1, le=400)
    reported_by: str | None = None
    organisation: str | None = None


class ProposedActionIn(_Strict):
    description: str = Field(min_length=1)
    responsible: str | None = None
    role: str | None = None
    handling_time: HandlingTime | None = None


class AssessmentIn(_Strict):
    person: str
    author: str
    what_matters: str
    situation: str
    background: str
    assessment: str
    recommendation: str
    needs: dict[str, str] = {}
    professions: list[str] = []
    handling_time: HandlingTime
    frequency: str | None = None
    actions: list[ProposedActionIn] = []
    plan_b: str | None = None
    other_plans: list[str] = []
    follow_up_in_days: int = 28
    seriously_ill: bool = False  # the assessor's finding for a child; a later import without it keeps it
    doctor_order: str | None = None
    medication_list_current: bool | None = None
    consent_obtained: bool | None = None
    relatives_support_need: str | None = None  # the relatives' need of support and relief
    fixed_doctor: str | None = None  # member codes: a seriously ill child's are named, never defaulted
    fixed_care_contact: str | None = None


class FollowUpIn(_Strict):
    person: str
    by: str
    outcome: str = Field(min_length=1)
    needs_remain: bool
    next_follow_up: dt.date | None = None
    verdict: PersonVerdict | None = None  # the person's answer: agree, partly or disagree


_MODELS = {"organisations": OrganisationIn, "members": MemberIn, "persons": PersonIn, "consents": ConsentIn,
           "signals": SignalIn, "assessments": AssessmentIn, "follow_ups": FollowUpIn}


def load_file(path: Path) -> dict[str, list[dict]]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot be read ({exc.strerror})", record=name, hint="check the path") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.load(text, Loader=TextDatesLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: "
                           f"{str(exc).splitlines()[0]}", record=name, hint="fix the syntax") from None
    if not isinstance(data, dict):
        raise InvalidInput("must hold a mapping of sections", record=name,
                           hint=f"top-level keys are: {', '.join(SECTIONS)}")
    if unknown := set(data) - set(SECTIONS):
        raise InvalidInput(f"has unknown section(s) {', '.join(sorted(unknown))}", record=name,
                           hint=f"sections are: {', '.join(SECTIONS)}")
    for section, rows in data.items():
        if rows is not None and not isinstance(rows, list):
            raise InvalidInput("must be a list of records", record=f"{name}: {section}", hint="use '- ' items")
    return {s: data.get(s) or [] for s in SECTIONS}


def parse_records(section: str, rows: list[Any]) -> list[BaseModel]:
    parsed = []
    for i, row in enumerate(rows):
        try:
            if not isinstance(row, dict):
                raise InvalidInput("must be a mapping", record=f"{section}[{i}]", hint="give field: value pairs")
            parsed.append(_MODELS[section].model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "record"
            raise InvalidInput(err["msg"], record=f"{section}[{i}]", field=field,
                               hint="see the import format in the README") from None
    return parsed


def import_data(session: Session, actor: Actor, data: dict[str, list[dict]], *, now: dt.datetime,
                sections: tuple[str, ...] = SECTIONS) -> dict[str, int]:
    """Write the records of the given sections in dependency order; returns counts."""
    today = today_of(now)
    counts = {}
    for section in SECTIONS:
        if section not in sections:
            continue
        records = parse_records(section, data.get(section, []))
        for i, rec in enumerate(records):
            _import_one(session, actor, section, rec, record=f"{section}[{i}]", now=now, today=today)
            session.flush()
        counts[section] = len(records)
    return counts


def _import_one(session: Session, actor: Actor, section: str, rec, *, record: str, now: dt.datetime,
                today: dt.date) -> None:
    def person(number: str):
        try:
            return person_by_personnummer(session, number, today=today)
        except (NotFound, InvalidInput) as exc:
            exc.record, exc.field = record, "person"
            raise

    def member(code: str | None, field: str):
        return member_by_code(session, code, field=f"{record}.{field}") if code else None

    match section:
        case "organisations":
            registry.upsert_organisation(session, rec)
        case "members":
            for j, entry in enumerate(rec.notify):
                check_target(entry, record=record, field=f"notify[{j}]")
            if rec.locale not in LOCALES:
                raise InvalidInput(f"'{rec.locale}' is not a language of the workspace", record=record,
                                   field="locale", hint=f"use one of: {', '.join(LOCALES)}")
            registry.upsert_member(session, MemberBase.model_validate(rec.model_dump()),
                                   organisation=rec.organisation, manager=rec.manager, record=record)
        case "persons":
            registry.upsert_person(session, actor, number=rec.personnummer, given_name=rec.given_name,
                                   family_name=rec.family_name, address=rec.address, phone=rec.phone,
                                   protected_identity=rec.protected_identity, placement=rec.placement,
                                   placement_law=rec.placement_law,
                                   residence_hidden_from_guardians=rec.residence_hidden_from_guardians,
                                   contacts=[c.model_dump() for c in rec.contacts], today=today, now=now,
                                   record=record)
        case "consents":
            by = member(rec.recorded_by, "recorded_by")
            consent_uc.record_consent(
                session, Actor(by.code, by.id) if by else actor, person=person(rec.person), scopes=rec.scopes,
                given_by=rec.given_by, guardian_name=rec.guardian, second_guardian_name=rec.second_guardian,
                sole_guardian_reason=rec.sole_guardian_reason, form=rec.form,
                organisations=rec.organisations, documented_in=rec.documented_in, valid_from=rec.valid_from,
                valid_until=rec.valid_until, now=now, record=record)
        case "signals":
            by = member(rec.reported_by, "reported_by")
            org = organisation_by_code(session, rec.organisation, field=f"{record}.organisation") \
                if rec.organisation else None
            identify.report_signal(session, Actor(by.code, by.id) if by else actor, person=person(rec.person),
                                   kind=rec.kind, occurred_on=rec.occurred_on, days=rec.days,
                                   organisation_id=org.id if org else (by.organisation_id if by else None),
                                   now=now)
        case "assessments":
            case = _open_case_of(session, person(rec.person), record)
            author = member(rec.author, "author")
            planning.submit_assessment(
                session, Actor(author.code, author.id), case=case, author=author, what_matters=rec.what_matters,
                situation=rec.situation, background=rec.background, current_status=rec.assessment,
                recommendation=rec.recommendation, needs=rec.needs, professions=rec.professions,
                handling_time=rec.handling_time, frequency=rec.frequency,
                proposed_actions=[a.model_dump(exclude_none=True) for a in rec.actions], plan_b=rec.plan_b,
                other_plans=rec.other_plans, follow_up_in_days=rec.follow_up_in_days, doctor_order=rec.doctor_order,
                medication_list_current=rec.medication_list_current, consent_obtained=rec.consent_obtained,
                seriously_ill=rec.seriously_ill, relatives_support_need=rec.relatives_support_need,
                fixed_doctor=member(rec.fixed_doctor, "fixed_doctor"),
                fixed_care_contact=member(rec.fixed_care_contact, "fixed_care_contact"), now=now, record=record)
        case "follow_ups":
            case = _open_case_of(session, person(rec.person), record)
            by = member(rec.by, "by")
            following_up.record_follow_up(session, Actor(by.code, by.id), case=case, by=by, outcome=rec.outcome,
                                          needs_remain=rec.needs_remain, next_follow_up=rec.next_follow_up,
                                          now=now, verdict=rec.verdict)


def _open_case_of(session: Session, person, record: str) -> CareCase:
    case = session.exec(select(CareCase).where(CareCase.person_id == person.id,
                                               CareCase.status != CaseStatus.CLOSED)).first()
    if case is None:
        raise NotFound("the person has no open case", record=record, field="person",
                       hint="run `coordination identify` (or `coordination case open`) first")
    return case
