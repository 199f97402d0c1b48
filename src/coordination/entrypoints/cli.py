"""The `coordination` command: one subcommand per step of the cycle, plus init, import and demo.

Every command is one unit of work: on any error it prints one line naming the record and
field, says how to fix it, exits non-zero and leaves the database as it was.

The heavy modules (SQLAlchemy, the models, alembic, the use cases) load on first use, so help and
the commands that need none of them start fast."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from coordination import settings
from coordination.domain.vocabulary import (
    ConsentForm, ConsentGiver, ConsentScope, EscalationLevel, HandlingTime, IdentificationReason, Initiator,
    PersonVerdict, SignalKind, SipAnswer,
)
from coordination.errors import CoordinationError, InvalidInput
from coordination.lazy import lazy

sqlmodel = lazy("sqlmodel")
parsing = lazy("coordination.parsing")
clock = lazy("coordination.domain.calendar")
notifications_config = lazy("coordination.config.notifications")
identification_config = lazy("coordination.config.identification")
teams_config = lazy("coordination.config.teams")
schema = lazy("coordination.persistence.schema")
db = lazy("coordination.persistence.engine")
models = lazy("coordination.persistence.models")
common = lazy("coordination.usecases.common")
acting = lazy("coordination.usecases.acting")
consent = lazy("coordination.usecases.consent")
following_up = lazy("coordination.usecases.following_up")
identify = lazy("coordination.usecases.identify")
planning = lazy("coordination.usecases.planning")
queries = lazy("coordination.usecases.queries")
registry = lazy("coordination.usecases.registry")
revising = lazy("coordination.usecases.revising")
sip_meeting = lazy("coordination.usecases.sip_meeting")
deviations = lazy("coordination.usecases.deviations")
escalations = lazy("coordination.usecases.escalations")
workspace = lazy("coordination.usecases.workspace")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False,
                  help="Care coordination: identify, consent, assess and plan (SBAR, SIP), act, follow up.")
case_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Open and read coordination cases.")
consent_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Record, document and withdraw consent.")
sip_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Draw up the coordinated individual plan (SIP).")
action_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Actions with a responsible member and a handling time.")
block_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Blocks (spärr): close one organisation's information to the others.")
app.add_typer(case_app, name="case")
app.add_typer(consent_app, name="consent")
app.add_typer(sip_app, name="sip")
app.add_typer(block_app, name="block")
config_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Administrators' configuration under deployments/.")
meeting_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Recurring coordination meetings.")
report_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Reports for the local leadership group.")
app.add_typer(meeting_app, name="meeting")
app.add_typer(report_app, name="report")
app.add_typer(action_app, name="action")
app.add_typer(config_app, name="config")
deviation_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                            help="Deviations (avvikelser): report what did not happen; managers close them.")
escalation_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                             help="Take a question to MAS, MAR, MLA or the managers, and answer it.")
app.add_typer(deviation_app, name="deviation")
app.add_typer(escalation_app, name="escalation")

LARGE_IMPORT = 1000  # records; past this, SQLite's planner statistics are refreshed after an import
By = Annotated[str, typer.Option("--by", help="Code of the member who does this (audited).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Now = Annotated[Optional[str], typer.Option(
    "--now", help="Act as at this moment, to replay a day: YYYY-MM-DD or YYYY-MM-DDTHH:MM (Stockholm).")]


def _now(text: str | None):
    """--now, in Europe/Stockholm, as aware UTC; the clock when not given."""
    if text is None:
        return clock.now_utc()
    import pendulum

    try:
        moment = pendulum.parse(text.strip(), tz="Europe/Stockholm")
    except Exception:  # pendulum raises several types for bad input; all mean the same here
        raise InvalidInput(f"'{text}' is not a date or a time", record="option", field="now",
                           hint="write 2026-11-27 or 2026-11-27T07:00 (Stockholm time)") from None
    if not isinstance(moment, pendulum.DateTime):
        raise InvalidInput(f"'{text}' is not a date or a time", record="option", field="now",
                           hint="write 2026-11-27 or 2026-11-27T07:00 (Stockholm time)")
    return moment.in_timezone("UTC")


def _existing_database() -> None:
    """A command that only reads never creates an empty SQLite file by connecting to it."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not Path(url.database).exists():
        raise InvalidInput(f"{url.database} does not exist", record="COORDINATION_DATABASE_URL", field="database",
                           hint="set COORDINATION_DATABASE_URL to your database, or create one with "
                                "`coordination init`")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"coordination {version('coordination')}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Care coordination: identify, consent, assess and plan (SBAR, SIP), act, follow up."""


def _say(text: str) -> None:
    typer.echo(text)


def _enum(enum_cls, value, field):
    return parsing.parse_enum(enum_cls, value, record="option", field=field)


@app.command()
def init() -> None:
    """Create the coordination database, or upgrade it to the newest schema (keeps data)."""
    revision = schema.upgrade()
    _say(f"database ready at schema revision {revision}")


@app.command("import")
def import_(path: Path, by: Annotated[Optional[str], typer.Option(help="Member code of the importer.")] = None
            ) -> None:
    """Import organisations, members, persons, consents, signals, assessments and follow-ups."""
    from coordination.entrypoints.importer import import_data, load_file  # loaded by the commands that use it

    data = load_file(path)
    now = clock.now_utc()
    with db.unit_of_work() as session:
        counts = import_data(session, common.actor_for(session, by, system="system:import"), data, now=now)
        if sum(counts.values()) >= LARGE_IMPORT:
            db.refresh_statistics(session.connection())
    _say("imported " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))


@app.command("identify")
def identify_(now: Now = None, as_json: Json = False) -> None:
    """Screen new signals against the identification criteria; open or flag cases."""
    moment = _now(now)
    policy = identification_config.load_screening()
    with db.unit_of_work() as session:
        result = identify.identify(session, common.actor_for(session, None, system="system:cli"), now=moment,
                                   policy=policy)
    if as_json:
        _say(json.dumps({"screened": result.screened_persons, "opened": result.opened, "flagged": result.flagged}))
        return
    _say(f"screened {result.screened_persons} person(s); opened {', '.join(result.opened) or 'none'}; "
         f"flagged {', '.join(result.flagged) or 'none'}")


@app.command("signal")
def signal(personnummer: str, by: By,
           kind: Annotated[str, typer.Option(help="What was seen: emergency_visit, readmission, concern_raised, "
                                                  "hospital_discharge, school_absence, missed_appointment, …")],
           on: Annotated[Optional[str], typer.Option(help="When it happened, YYYY-MM-DD (default: today).")] = None,
           days: Annotated[Optional[int], typer.Option(help="How long, in days (a school absence).")] = None) -> None:
    """Report a signal about a person; `coordination identify` screens it against the criteria."""
    now = clock.now_utc()
    what = _enum(SignalKind, kind, "kind")
    when = parsing.parse_optional_date(on, record="option", field="on") or clock.local_date(now)
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        reporter = common.member_by_code(session, by, field="by")
        person = common.person_by_personnummer(session, personnummer, today=clock.local_date(now))
        signal_id = identify.report_signal(session, actor, person=person, kind=what, occurred_on=when, days=days,
                                           organisation_id=reporter.organisation_id, now=now, record="option")
    _say(f"signal {signal_id} reported; `coordination identify` screens it")


@case_app.command("open")
def case_open(personnummer: str, by: By,
              reason: Annotated[list[str], typer.Option(help="Identification reason(s).")] = (),
              initiated_by: Annotated[str, typer.Option(
                  help="Who asked for coordination: staff, person, relative or guardian.")] = "staff") -> None:
    """Open a case by hand: anyone may initiate coordination, the person or a relative too."""
    now = clock.now_utc()
    reasons = [_enum(IdentificationReason, r, "reason") for r in reason]
    initiator = _enum(Initiator, initiated_by, "initiated_by")
    if initiator == Initiator.IDENTIFICATION:
        raise InvalidInput("identification opens cases itself", record="option", field="initiated_by",
                           hint="give staff, person, relative or guardian")
    with db.unit_of_work() as session:
        person = common.person_by_personnummer(session, personnummer, today=clock.local_date(now))
        number = identify.open_case(session, common.actor_for(session, by), person=person, reasons=reasons, now=now,
                                    initiated_by=initiator)
    _say(f"case {number} is open and flagged for the next coordination meeting")


@case_app.command("show")
def case_show(case: str, by: By, compare: Annotated[Optional[str], typer.Option(
        help="Two SIP versions, e.g. 1:3: show what changed between them instead.")] = None) -> None:
    """Show a case's record as JSON (personal data: this read is audited)."""
    _existing_database()
    versions = _versions(compare) if compare else None
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        if versions:
            first, second = versions
            found = revising.compare_versions(session, actor, case=common.case_by_number(session, case),
                                              first=first, second=second, now=clock.now_utc())
            record = {"case": case, "from": first, "to": second, "changes": [dataclasses.asdict(c) for c in found]}
        else:
            record = queries.case_record(session, actor, case, now=clock.now_utc())
    _say(json.dumps(record, indent=2, ensure_ascii=False, default=str))


@app.command("cases")
def cases(as_json: Json = False) -> None:
    """List case numbers with their status."""
    _existing_database()
    with db.unit_of_work() as session:
        rows = queries.list_cases(session)
    if as_json:
        _say(json.dumps([{"case": n, "status": s, "flagged_for_meeting": f} for n, s, f in rows]))
        return
    for number, status, flagged in rows:
        _say(f"{number}  {status:<10}{'  flagged for meeting' if flagged else ''}")


@app.command("members")
def members(as_json: Json = False) -> None:
    """List the members: code, role, organisation, whether active, and their notification entries
    (env: and tag: names; a URL written in the file shows only its scheme)."""
    _existing_database()
    with db.unit_of_work() as session:
        rows = registry.list_members(session)
    if as_json:
        _say(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        _say(f"{row['code']:<12} {row['role']:<22} {row['organisation']:<14} "
             f"{'active' if row['active'] else 'inactive':<9} {', '.join(row['notify']) or '(no target)'}")


@consent_app.command("record")
def consent_record(
        personnummer: str, by: By,
        organisation: Annotated[list[str], typer.Option(help="Organisation the consent names (two or more).")],
        scope: Annotated[list[str], typer.Option(help="share_information, sip, involve_relatives.")],
        given_by: Annotated[str, typer.Option(help="person or guardian.")] = "person",
        guardian: Annotated[Optional[str], typer.Option(help="Guardian's name, when given by a guardian.")] = None,
        second_guardian: Annotated[Optional[str], typer.Option(
            help="The other guardian's name: a child's two guardians consent together.")] = None,
        sole_guardian_reason: Annotated[Optional[str], typer.Option(
            help="Why one guardian's consent is enough where the child has two.")] = None,
        form: Annotated[str, typer.Option(help="oral or written.")] = "oral",
        documented_in: Annotated[list[str], typer.Option(help="Organisation whose record holds it.")] = (),
        valid_from: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD, default today.")] = None,
        valid_until: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD.")] = None) -> None:
    """Record a consent to share information and/or draw up a SIP."""
    now = clock.now_utc()
    with db.unit_of_work() as session:
        person = common.person_by_personnummer(session, personnummer, today=clock.local_date(now))
        consent_id = consent.record_consent(
            session, common.actor_for(session, by), person=person,
            scopes=[_enum(ConsentScope, s, "scope") for s in scope],
            given_by=_enum(ConsentGiver, given_by, "given_by"), guardian_name=guardian,
            form=_enum(ConsentForm, form, "form"), organisations=organisation, documented_in=documented_in,
            valid_from=parsing.parse_optional_date(valid_from, record="option", field="valid_from") or clock.local_date(now),
            valid_until=parsing.parse_optional_date(valid_until, record="option", field="valid_until"), now=now,
            second_guardian_name=second_guardian, sole_guardian_reason=sole_guardian_reason)
    _say(f"consent {consent_id} recorded")


@consent_app.command("document")
def consent_document(consent_id: int, organisation: Annotated[str, typer.Option()], by: By) -> None:
    """Mark that ORGANISATION has documented the consent in its own record."""
    with db.unit_of_work() as session:
        consent.document_consent(session, common.actor_for(session, by), consent_id=consent_id,
                                 organisation=organisation, now=clock.now_utc())
    _say(f"consent {consent_id} documented in {organisation}")


@consent_app.command("withdraw")
def consent_withdraw(consent_id: int, by: By) -> None:
    """Withdraw a consent: from now on nothing more is shared."""
    with db.unit_of_work() as session:
        queued = consent.withdraw_consent(session, common.actor_for(session, by), consent_id=consent_id, now=clock.now_utc())
    _say(f"consent {consent_id} withdrawn; {queued} participant(s) will be told")


@block_app.command("place")
def block_place(personnummer: str, organisation: Annotated[str, typer.Option(
        help="The organisation whose information the person closes to the others.")], by: By) -> None:
    """Record the person's block on one organisation's information."""
    from coordination.usecases.blocks import place_block

    now = clock.now_utc()
    with db.unit_of_work() as session:
        person = common.person_by_personnummer(session, personnummer, today=clock.local_date(now))
        block_id = place_block(session, common.actor_for(session, by), person=person, organisation=organisation, now=now)
    _say(f"block {block_id} placed: {organisation}'s information is closed to the other organisations")


@block_app.command("lift")
def block_lift(block_id: int, by: By) -> None:
    """Lift a block at the person's request."""
    from coordination.usecases.blocks import lift_block

    with db.unit_of_work() as session:
        lift_block(session, common.actor_for(session, by), block_id=block_id, now=clock.now_utc())
    _say(f"block {block_id} lifted")


@app.command()
def assess(case: str, by: By,
           what_matters: Annotated[str, typer.Option(help="The person's answer to 'What is important to you?'")],
           situation: Annotated[str, typer.Option()], background: Annotated[str, typer.Option()],
           assessment: Annotated[str, typer.Option(help="Current status (the A of SBAR).")],
           recommendation: Annotated[str, typer.Option()],
           handling_time: Annotated[str, typer.Option(help="urgent, next_day, next_working_day, when_needed.")],
           need: Annotated[list[str], typer.Option(help="perspective=need, e.g. nursing='wound care'.")] = (),
           profession: Annotated[list[str], typer.Option(help="Role needed, e.g. physiotherapist.")] = (),
           action: Annotated[list[str], typer.Option(help="role=description of a proposed action.")] = (),
           plan_b: Annotated[Optional[str], typer.Option()] = None,
           other_plan: Annotated[list[str], typer.Option()] = (),
           follow_up_in_days: Annotated[int, typer.Option()] = 28,
           doctor_order: Annotated[Optional[str], typer.Option(help="The doctor's order (läkarordination).")] = None,
           medication_list: Annotated[Optional[bool], typer.Option(
               "--medication-list/--no-medication-list", help="Is the current medication list attached?")] = None,
           consent_obtained: Annotated[Optional[bool], typer.Option(
               "--consent-obtained/--no-consent-obtained", help="Was the person's consent obtained?")] = None,
           relatives_need: Annotated[Optional[str], typer.Option(
               help="The relatives' need of support and relief, as the assessment found it.")] = None,
           seriously_ill: Annotated[bool, typer.Option(
               "--seriously-ill", help="A seriously ill child: plan B, a fixed doctor and a fixed care contact "
                                       "are required in the SIP.")] = False,
           fixed_doctor: Annotated[Optional[str], typer.Option(help="Member code of the fixed doctor.")] = None,
           fixed_care_contact: Annotated[Optional[str], typer.Option(
               help="Member code of the fixed care contact.")] = None) -> None:
    """Submit an SBAR assessment for the case (Bilaga 2)."""
    needs = dict(_pair(n, "need") for n in need)
    proposals = [{"role": role, "description": text} for role, text in (_pair(a, "action") for a in action)]
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        case_row = common.case_by_number(session, case)
        assessment_id = planning.submit_assessment(
            session, actor, case=case_row, author=common.member_by_code(session, by, field="by"),
            what_matters=what_matters, situation=situation, background=background, current_status=assessment,
            recommendation=recommendation, needs=needs, professions=list(profession), handling_time=handling_time,
            proposed_actions=proposals, plan_b=plan_b, other_plans=list(other_plan),
            follow_up_in_days=follow_up_in_days, doctor_order=doctor_order, medication_list_current=medication_list,
            consent_obtained=consent_obtained, seriously_ill=seriously_ill, relatives_support_need=relatives_need,
            fixed_doctor=_member_or_none(session, fixed_doctor, "fixed_doctor"),
            fixed_care_contact=_member_or_none(session, fixed_care_contact, "fixed_care_contact"),
            now=clock.now_utc(), record="option")
    _say(f"assessment {assessment_id} submitted for {case}")


def _member_or_none(session, code: str | None, field: str):
    return common.member_by_code(session, code, field=field) if code else None


@case_app.command("contacts")
def case_contacts(case: str, by: By,
                  fixed_doctor: Annotated[Optional[str], typer.Option(help="Member code of a doctor.")] = None,
                  fixed_care_contact: Annotated[Optional[str], typer.Option(help="Member code.")] = None) -> None:
    """Name the person's fixed doctor and fixed care contact (a seriously ill child needs both
    before the SIP is drawn up)."""
    if not (fixed_doctor or fixed_care_contact):
        raise InvalidInput("names nobody", record="option", field="fixed_doctor",
                           hint="give --fixed-doctor MEMBER and/or --fixed-care-contact MEMBER")
    with db.unit_of_work() as session:
        planning.name_fixed_contacts(
            session, common.actor_for(session, by), case=common.case_by_number(session, case),
            fixed_doctor=_member_or_none(session, fixed_doctor, "fixed_doctor"),
            fixed_care_contact=_member_or_none(session, fixed_care_contact, "fixed_care_contact"),
            now=clock.now_utc(), record="option")
    _say(f"{case}: fixed contacts named")


@app.command()
def plan(case: str, by: By) -> None:
    """Accept the newest assessment and draw up the SIP from it (what the assess-and-plan flow does)."""
    now = clock.now_utc()
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        case_row = common.case_by_number(session, case)
        planning.accept_assessment(session, actor, case=case_row, now=now)
        sip_id = planning.plan_from_assessment(session, actor, case=case_row, now=now)
    _say(f"SIP {sip_id} drawn up for {case}")


@sip_app.command("create")
def sip_create(case: str, by: By, coordinator: Annotated[str, typer.Option()],
               participant: Annotated[list[str], typer.Option(help="Member code; repeat per participant.")],
               follow_up: Annotated[str, typer.Option(help="Next follow-up, YYYY-MM-DD.")],
               what_matters: Annotated[str, typer.Option()],
               plan_b: Annotated[Optional[str], typer.Option()] = None,
               other_plan: Annotated[list[str], typer.Option()] = ()) -> None:
    """Draw up a SIP by hand (a valid consent is required)."""
    when = parsing.parse_date(follow_up, record="option", field="follow_up")
    with db.unit_of_work() as session:
        sip_id = planning.create_sip(
            session, common.actor_for(session, by), case=common.case_by_number(session, case),
            coordinator=common.member_by_code(session, coordinator, field="coordinator"),
            participants=[common.member_by_code(session, p, field="participant") for p in participant],
            plan_b=plan_b, other_plans=list(other_plan), what_matters=what_matters, next_follow_up=when,
            actions=[], assessment_id=None, now=clock.now_utc())
    _say(f"SIP {sip_id} drawn up for {case}")


@sip_app.command("revise")
def sip_revise(case: str, by: By,
               coordinator: Annotated[Optional[str], typer.Option(help="Member code of a new coordinator.")] = None,
               add: Annotated[list[str], typer.Option(help="Member code to add; repeat per member.")] = (),
               remove: Annotated[list[str], typer.Option(help="Member code to remove; repeat per member.")] = (),
               what_matters: Annotated[Optional[str], typer.Option()] = None,
               plan_b: Annotated[Optional[str], typer.Option(help="The new plan B; an empty text clears it.")]
               = None,
               other_plan: Annotated[Optional[list[str]], typer.Option(
                   help="The other plans, all of them; repeat per plan.")] = None,
               no_other_plans: Annotated[bool, typer.Option("--no-other-plans",
                                                            help="The SIP refers to no other plan.")] = False,
               follow_up: Annotated[Optional[str], typer.Option(help="Next follow-up, YYYY-MM-DD.")] = None,
               relatives_support: Annotated[Optional[str], typer.Option(
                   help="The relatives' support and relief; an empty text clears it.")] = None) -> None:
    """Revise the SIP: a new version with what you give changed, the rest as it was."""
    when = parsing.parse_optional_date(follow_up, record="option", field="follow_up")
    others = [] if no_other_plans else (list(other_plan) if other_plan else None)
    with db.unit_of_work() as session:
        sip = revising.revise_sip(session, common.actor_for(session, by), case=common.case_by_number(session, case),
                                  coordinator=coordinator, add=list(add), remove=list(remove),
                                  what_matters=what_matters, plan_b=plan_b, other_plans=others,
                                  next_follow_up=when, relatives_support=relatives_support, now=clock.now_utc())
        version = sip.version
    _say(f"{case}: SIP version {version}")


@sip_app.command("meeting")
def sip_meeting_book(case: str, by: By, at: Annotated[str, typer.Option(help="YYYY-MM-DDTHH:MM, Stockholm time.")],
                     place: Annotated[str, typer.Option(help="Where: at home, the health centre, digitally ...")],
                     invite_guardians: Annotated[bool, typer.Option("--invite-guardians")] = False,
                     invite_relatives: Annotated[bool, typer.Option(
                         "--invite-relatives", help="Only under a consent to involve relatives.")] = False) -> None:
    """Book the SIP meeting with the person; the plan's participants are told."""
    when = parsing.parse_moment(at, record="option", field="at")
    with db.unit_of_work() as session:
        meeting_id = sip_meeting.schedule(session, common.actor_for(session, by),
                                          case=common.case_by_number(session, case), when=when, place=place,
                                          invite_guardians=invite_guardians, invite_relatives=invite_relatives,
                                          now=clock.now_utc())
    _say(f"SIP meeting {meeting_id} booked for {case}")


AnsweredBy = Annotated[str, typer.Option(help="person, or guardian for a child.")]
ChildInformed = Annotated[Optional[str], typer.Option(help="For a child: how the child was told, by age and maturity.")]
ChildHeard = Annotated[Optional[str], typer.Option(help="For a child: the child's own views, and how they were heard.")]


@sip_app.command("agree")
def sip_agree(meeting: int, by: By, answered_by: AnsweredBy,
              agreement: Annotated[str, typer.Option(help="What was agreed with the person.")],
              agreed_time: Annotated[str, typer.Option(help="The next contact agreed with the person, "
                                                            "YYYY-MM-DDTHH:MM.")],
              child_informed: ChildInformed = None, child_heard: ChildHeard = None) -> None:
    """Record that the person (or a guardian) agreed to the plan, with the patient contract."""
    who = _enum(ConsentGiver, answered_by, "answered_by")
    when = parsing.parse_moment(agreed_time, record="option", field="agreed_time")
    with db.unit_of_work() as session:
        number = sip_meeting.record_outcome(session, common.actor_for(session, by), meeting_id=meeting,
                                            answer=SipAnswer.AGREED, answered_by=who, agreement=agreement,
                                            agreed_time=when, child_informed=child_informed,
                                            child_heard=child_heard, now=clock.now_utc())
    _say(f"{number}: the plan is agreed")


@sip_app.command("refuse")
def sip_refuse(meeting: int, by: By, answered_by: AnsweredBy,
               reason: Annotated[str, typer.Option(help="What the person does not agree to.")],
               child_informed: ChildInformed = None, child_heard: ChildHeard = None) -> None:
    """Record that the person (or a guardian) did not agree: the plan is not carried out."""
    who = _enum(ConsentGiver, answered_by, "answered_by")
    with db.unit_of_work() as session:
        number = sip_meeting.record_outcome(session, common.actor_for(session, by), meeting_id=meeting,
                                            answer=SipAnswer.REFUSED, answered_by=who, reason=reason,
                                            child_informed=child_informed, child_heard=child_heard,
                                            now=clock.now_utc())
    _say(f"{number}: the plan was not agreed; revise it with the person")


@deviation_app.command("report")
def deviation_report(case: str, by: By,
                     description: Annotated[str, typer.Option(help="What was agreed and did not happen.")],
                     action: Annotated[Optional[int], typer.Option(help="The action that did not happen.")] = None,
                     responsible: Annotated[Optional[str], typer.Option(
                         help="Member code of the one responsible, when no action is named.")] = None) -> None:
    """Report a deviation on a case you take part in; the responsible member's manager is told."""
    with db.unit_of_work() as session:
        deviation_id = deviations.report_deviation(
            session, common.actor_for(session, by), case=common.case_by_number(session, case), description=description,
            action_id=action, responsible=_member_or_none(session, responsible, "responsible"), now=clock.now_utc())
    _say(f"deviation {deviation_id} reported for {case}")


@deviation_app.command("list")
def deviation_list(by: By, as_json: Json = False) -> None:
    """The deviations of your unit (you are the manager they went to), newest first."""
    _existing_database()
    with db.unit_of_work() as session:
        lines = workspace.unit_deviations(session, common.actor_for(session, by), now=clock.now_utc())
    if as_json:
        _say(json.dumps([dataclasses.asdict(line) for line in lines], ensure_ascii=False, default=str))
        return
    for line in lines:
        state = f"closed {line.closed_at:%Y-%m-%d}" if line.closed_at else "open"
        _say(f"#{line.id} {line.case_number} {line.item_kind} due {line.due_date} {state}: {line.description or ''}")


@deviation_app.command("close")
def deviation_close(deviation: int, by: By, note: Annotated[str, typer.Option(help="What was done about it.")]) -> None:
    with db.unit_of_work() as session:
        number = deviations.close_deviation(session, common.actor_for(session, by), deviation_id=deviation, note=note,
                                            now=clock.now_utc())
    _say(f"deviation {deviation} in {number} is closed")


@escalation_app.command("raise")
def escalation_raise(case: str, by: By, to: Annotated[str, typer.Option(help="mas, mar, mla or managers.")],
                     reason: Annotated[str, typer.Option(help="The question or disagreement, and what was tried.")]
                     ) -> None:
    """Take a question the professionals cannot settle further; those it goes to are told."""
    level = _enum(EscalationLevel, to, "level")
    with db.unit_of_work() as session:
        escalation_id = escalations.escalate(session, common.actor_for(session, by),
                                             case=common.case_by_number(session, case), level=level, reason=reason,
                                             now=clock.now_utc())
    _say(f"escalation {escalation_id} taken to {level} for {case}")


@escalation_app.command("answer")
def escalation_answer(escalation: int, by: By, answer: Annotated[str, typer.Option()]) -> None:
    with db.unit_of_work() as session:
        number = escalations.answer_escalation(session, common.actor_for(session, by), escalation_id=escalation,
                                               answer=answer, now=clock.now_utc())
    _say(f"escalation {escalation} in {number} is answered")


@action_app.command("add")
def action_add(case: str, by: By, responsible: Annotated[str, typer.Option()],
               description: Annotated[str, typer.Option()],
               handling_time: Annotated[str, typer.Option(help="urgent, next_day, next_working_day, when_needed.")],
               follow_up: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD; default the SIP's.")] = None,
               as_json: Json = False) -> None:
    """Add a decided action and tell the responsible member."""
    kind = _enum(HandlingTime, handling_time, "handling_time")
    when = parsing.parse_optional_date(follow_up, record="option", field="follow_up")
    with db.unit_of_work() as session:
        action_id = acting.add_action(session, common.actor_for(session, by), case=common.case_by_number(session, case),
                                      responsible=common.member_by_code(session, responsible, field="responsible"),
                                      description=description, handling_time=kind, follow_up_date=when,
                                      now=clock.now_utc())
    _say(json.dumps({"action": action_id, "case": case}) if as_json else f"action {action_id} added to {case}")


@action_app.command("done")
def action_done(action_id: int, by: By) -> None:
    """Mark an action done."""
    with db.unit_of_work() as session:
        number = acting.complete_action(session, common.actor_for(session, by), action_id=action_id, now=clock.now_utc())
    _say(f"action {action_id} in {number} is done")


@app.command("follow-up")
def follow_up(case: str, by: By, outcome: Annotated[str, typer.Option()],
              needs_remain: Annotated[bool, typer.Option("--needs-remain/--needs-met")],
              next_date: Annotated[Optional[str], typer.Option("--next", help="YYYY-MM-DD when needs remain.")]
              = None,
              verdict: Annotated[Optional[str], typer.Option(
                  help="The person's answer to 'I get the care and support I need, when I need it and where I need "
                       "it': agree, partly or disagree.")] = None) -> None:
    """Record a follow-up: needs remain -> a new SIP version; needs met -> the case closes."""
    now = clock.now_utc()
    when = parsing.parse_optional_date(next_date, record="option", field="next")
    answer = _enum(PersonVerdict, verdict, "verdict") if verdict else None
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        case_row = common.case_by_number(session, case)
        following_up.record_follow_up(session, actor, case=case_row, by=common.member_by_code(session, by, field="by"),
                                      outcome=outcome, needs_remain=needs_remain, next_follow_up=when, now=now,
                                      verdict=answer)
        counts = following_up.apply_follow_ups(session, actor, case=case_row, now=now)
    _say(f"{case}: " + ("closed" if counts["closed"] else "SIP revised"))


@app.command()
def share(case: str, by: By, from_org: Annotated[str, typer.Option("--from")],
          to_org: Annotated[str, typer.Option("--to")]) -> None:
    """Hand the case over to another organisation (requires consent; logged)."""
    with db.unit_of_work() as session:
        share_id, view, warnings = planning.share_information(
            session, common.actor_for(session, by), case_number=case, from_org=from_org, to_org=to_org, now=clock.now_utc())
    _say(f"handover {share_id} of {case} from {from_org} to {to_org}")
    _say(f"  {view.name}, {view.personnummer}; address: {view.address or '-'}; phone: {view.phone or '-'}")
    for warning in warnings:
        _say(f"  {warning}")


@app.command("audit")
def audit_(by: By, person: Annotated[Optional[str], typer.Option(help="Personnummer of the person.")] = None,
           member: Annotated[Optional[str], typer.Option(help="Code of the member who acted.")] = None,
           since: Annotated[Optional[str], typer.Option("--from", help="YYYY-MM-DD (Stockholm).")] = None,
           until: Annotated[Optional[str], typer.Option("--to", help="YYYY-MM-DD, exclusive.")] = None,
           as_json: Json = False) -> None:
    """Review the audit log by person, member or period."""
    import pendulum

    from coordination.usecases.audit_log import list_events

    def moment(text, field):
        day = parsing.parse_optional_date(text, record="option", field=field)
        return pendulum.datetime(day.year, day.month, day.day, tz="Europe/Stockholm") if day else None

    now = clock.now_utc()
    _existing_database()
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        who = common.person_by_personnummer(session, person, today=clock.local_date(now)) if person else None
        acting = common.member_by_code(session, member, field="member").id if member else None
        rows = list_events(session, actor, person=who, member_id=acting, since=moment(since, "from"),
                           until=moment(until, "to"), now=now)
    if as_json:
        _say(json.dumps([{"at": at.isoformat(), "actor": a, "action": act, "record_type": rt, "record_id": rid,
                          "person": pnr} for at, a, act, rt, rid, pnr in rows], ensure_ascii=False))
        return
    for at, actor_label, action, record_type, record_id, pnr in rows:
        _say(f"{at:%Y-%m-%d %H:%M:%S}Z  {actor_label:<16} {action:<9} {record_type} {record_id}"
             + (f"  person {pnr}" if pnr else ""))
    _say(f"{len(rows)} event(s)")


@app.command()
def deliver(now: Now = None, as_json: Json = False) -> None:
    """Send pending notifications through apprise (the administrators' tag table routes tag: targets),
    batch after batch until nothing due is left or the configured time budget is spent."""
    config = notifications_config.load_notifications()
    from coordination.notifications.delivery import deliver_pending

    report = deliver_pending(now=_now(now), tags=config.tags, budget=config.time_budget,
                             concurrency=config.delivery.concurrency, operations=config.operations_target)
    if as_json:
        from dataclasses import asdict

        _say(json.dumps(asdict(report)))
        return
    _say(f"claimed {report.claimed}, sent {report.sent}, failed {report.failed}, without target {report.no_target}, "
         f"undeliverable {report.undeliverable}"
         + (f" ({', '.join(report.members_without_target)})" if report.members_without_target else ""))
    if report.revived:
        _say(f"{report.revived} earlier undeliverable notification(s) retried: their targets changed")
    if report.remaining:
        _say(f"{report.remaining} notification(s) still due: the time budget ran out, the next run goes on")
    if report.lost_claims:
        _say(f"stopped: another delivery run took over {report.lost_claims} notification(s) after this one stalled")
    if report.cancelled:
        _say(f"{report.cancelled} notification(s) cancelled: the consent no longer covered the recipient when sent")
    if report.unroutable:
        _say(f"{report.unroutable} event(s) could not be routed to anyone (`coordination outbox --status unroutable`);"
             " operations are told")


outbox_app = typer.Typer(help="The notifications queued, sent and waiting; retry after a fix.",
                         invoke_without_command=True, no_args_is_help=False)
app.add_typer(outbox_app, name="outbox")


@outbox_app.callback()
def outbox(ctx: typer.Context,
           status: Annotated[Optional[str], typer.Option(
               help="pending, sending, sent, no_target, failed, cancelled or unroutable.")] = None,
           as_json: Json = False) -> None:
    """List notifications with their attempts, last error and next attempt (no message texts)."""
    from coordination.domain.vocabulary import OutboxStatus
    from coordination.usecases.operations import outbox_rows

    if ctx.invoked_subcommand:
        return
    _existing_database()
    wanted = str(_enum(OutboxStatus, status, "status")) if status else None
    with db.unit_of_work() as session:
        rows = outbox_rows(session, status=wanted)
    if as_json:
        _say(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        _say(f"#{r['id']:<6} {r['status']:<10} {r['kind']:<20} to {r['to'] or '-':<16} {r['case'] or '':<12} "
             f"attempts {r['attempts']}" + (f"  next {r['next_attempt_at'][:16]}" if r['next_attempt_at'] else "")
             + (f"  {r['last_error']}" if r['last_error'] else "") + (f"  ({r['cancel_reason']})" if r['cancel_reason'] else ""))
    _say(f"{len(rows)} notification(s)")


@outbox_app.command("retry")
def outbox_retry(status: Annotated[list[str], typer.Option(
                     help="Which rows: no_target, failed or pending (repeatable).")] = ["no_target", "failed"],
                 member: Annotated[Optional[str], typer.Option(help="Only this member's notifications.")] = None,
                 now: Now = None) -> None:
    """Make notifications that ended without a working target (or wait out a backoff) due now; the
    next delivery sends them."""
    from coordination.domain.vocabulary import OutboxStatus
    from coordination.usecases.operations import retry_outbox

    _existing_database()
    wanted = [str(_enum(OutboxStatus, s, "status")) for s in status]
    if bad := [s for s in wanted if s not in ("no_target", "failed", "pending")]:
        raise InvalidInput(f"'{bad[0]}' notifications cannot be retried", record="option", field="status",
                           hint="use no_target, failed or pending")
    with db.unit_of_work() as session:
        member_id = common.member_by_code(session, member, field="member").id if member else None
        count = retry_outbox(session, statuses=wanted, member_id=member_id, now=_now(now))
    _say(f"{count} notification(s) due now; `coordination deliver` sends them")


@app.command()
def status() -> None:
    """Counts of cases, SIPs, actions, follow-ups and notifications."""
    _existing_database()
    with db.unit_of_work() as session:
        _say(json.dumps(queries.totals(session), indent=2))


@config_app.command("check")
def config_check() -> None:
    """Validate the administrators' files: notification routing and the sweep policy with every
    member's targets, the identification thresholds, and the teams and meeting series."""
    config = notifications_config.load_notifications()
    with db.unit_of_work() as session:
        members = [(m.code, list(m.notify)) for m in session.exec(sqlmodel.select(models.Member))]
    notifications_config.check_member_targets(config, members)
    if problems := notifications_config.unresolved_targets(config, members):
        for problem in problems[1:]:
            typer.echo(f"error: {problem}", err=True)
        raise problems[0]
    _say(f"{notifications_config.notifications_path()}: ok ({len(config.tags)} tag(s), {len(members)} member(s) checked)")
    screening = identification_config.load_screening()
    where = identification_config.identification_path()
    _say(f"{where}: ok" if where.exists() else f"{where}: not there, the default thresholds apply")
    _say("  " + ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(screening).items()))
    teams = teams_config.load_teams()
    with db.unit_of_work(read_only=True) as session:
        registry = dict(session.exec(sqlmodel.select(models.Member.code, models.Organisation.code)
                                     .join(models.Organisation, models.Organisation.id == models.Member.organisation_id)).all())
    teams_config.check_team_members(teams, registry)
    _say(f"{teams_config.teams_path()}: ok ({len(teams)} team(s), {sum(len(t.all_series()) for t in teams)} meeting series)")
    from coordination.usecases.reports import meetings_held

    with db.unit_of_work(read_only=True) as session:
        held = meetings_held(session, [t.leadership_group.series.id for t in teams if t.leadership_group])
    for warning in teams_config.leadership_warnings(teams, held, until=clock.local_date(clock.now_utc())):
        _say(f"warning: {warning}")


@meeting_app.command("agenda")
def meeting_agenda(team: str, series: str, by: By) -> None:
    """The next meeting's agenda with the identification reasons (personal data: audited)."""
    from coordination.domain import meetings
    from coordination.usecases.meetings import agenda_for

    team_row, series_row = teams_config.find_series(teams_config.load_teams(), team, series)
    if series_row.kind == "leadership":
        raise InvalidInput(f"'{series}' is the local leadership group: its agenda is the area's indicators",
                           record=str(teams_config.teams_path()), field="series",
                           hint=f"open it in the workspace: {settings.web_url()}/meetings/{series}")
    now = clock.now_utc()
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        facts = agenda_for(session, actor, team_name=team_row.name, organisations=team_row.organisations,
                           members=tuple(m.code for m in team_row.members), now=now)
        occ = meetings.next_occurrence(series_row, now)
        common.audit(session, actor, "read", "agenda", f"{series} {occ.date if occ else ''}", now=now)
    title = f"{team_row.name}: coordination meeting {occ.date if occ else '(none scheduled)'}"
    _say(meetings.agenda_markdown(title, meetings.build_agenda(facts, details=True)))


@meeting_app.command("prepare")
def meeting_prepare(team: str, series: str, step: Annotated[str, typer.Option(help="prepare or remind")] = "prepare",
                    now: Now = None) -> None:
    """Run the meeting flow now (agenda, leader, invitations; or reminders)."""
    from coordination.flows.meeting import coordination_meeting  # entry point: the library never imports Prefect

    if step not in ("prepare", "remind"):
        raise InvalidInput(f"'{step}' is not a step", record="option", field="step", hint="use prepare or remind")
    teams_config.find_series(teams_config.load_teams(), team, series)
    _say(json.dumps(coordination_meeting(team, series, step, now=_now(now) if now else None)))


@app.command()
def calendar(team: str, out: Annotated[Path, typer.Option(help="Folder for the .ics files.")] = Path("calendar"),
             months: Annotated[int, typer.Option(help="How far ahead.")] = 12) -> None:
    """Write an iCalendar file per meeting series of TEAM (imports into Outlook and Google)."""
    import datetime as dt

    from coordination.notifications.calendar_feed import series_calendar

    teams = {t.id: t for t in teams_config.load_teams()}
    if team not in teams:
        raise InvalidInput(f"unknown team '{team}'", record=str(teams_config.teams_path()), field="teams",
                           hint=f"teams are: {', '.join(teams)}")
    if not 1 <= months <= 36:
        raise InvalidInput(f"{months} is out of range", record="option", field="months", hint="give 1 to 36")
    today = clock.local_date(clock.now_utc())
    out.mkdir(parents=True, exist_ok=True)
    for series in teams[team].all_series():
        path = out / f"{series.id}.ics"
        path.write_bytes(series_calendar(series, team_name=teams[team].name, first=today,
                                         last=today + dt.timedelta(days=31 * months), stamp=clock.now_utc()))
        _say(f"wrote {path}")


@app.command()
def deploy(work_pool: Annotated[Optional[str], typer.Option(
        help="Deploy to this work pool (cluster mode); workers run the flows from the checkout.")] = None,
           source: Annotated[Optional[Path], typer.Option(
               help="The checkout whose flows/ workers load (default: this folder).")] = None) -> None:
    """Create or update the scheduled deployments from deployments/ and remove stale ones."""
    from coordination.flows.deployments import apply_all

    if not work_pool:  # a deployment without a pool is "Not Ready" in Prefect and never runs
        raise InvalidInput("no work pool given", record="option", field="work_pool",
                           hint="create one (`prefect work-pool create coordination --type process`), pass "
                                "--work-pool coordination and start a worker (`prefect worker start --pool "
                                "coordination`); in embedded mode use `coordination serve` instead")
    applied, removed = apply_all(work_pool, source)
    _say(f"deployments: {', '.join(applied)}" + (f"; removed: {', '.join(removed)}" if removed else ""))


@report_app.command("annual")
def report_annual(year: Annotated[Optional[int], typer.Argument(help="Default: last year.")] = None) -> None:
    """The annual report's indicators (also written to reports/annual-report-YEAR.json)."""
    from coordination.flows.annual_report import annual_report

    _say(json.dumps(annual_report(year), indent=2))


@app.command()
def sweep(deliver: Annotated[bool, typer.Option("--deliver/--no-deliver")] = True, now: Now = None) -> None:
    """Run the follow-up sweep flow now: reminders, overdue items, escalations, digests."""
    from coordination.flows.follow_up_sweep import follow_up_sweep  # entry point: the library never imports Prefect

    notifications_config.load_notifications()  # a bad config is refused before anything runs
    state = follow_up_sweep(now=_now(now) if now else None, deliver=deliver, return_state=True)
    _say(json.dumps(state.result(raise_on_failure=False) if state.is_completed() else
                    {"state": state.name, "message": state.message}, default=str))
    if not state.is_completed():
        raise typer.Exit(1)


@app.command()
def serve(web: Annotated[bool, typer.Option("--web/--no-web", help="Also serve the staff workspace.")] = True,
          port: Annotated[int, typer.Option(help="The workspace's port.")] = 8000) -> None:
    """Serve the scheduled flows in this process (embedded mode), and the workspace beside them.
    Stopping it pauses every schedule: for schedules that outlive it, deploy to a work pool."""
    from coordination.flows.deployments import serve_all

    _say("Serving the schedules in this process. Stopping it (Ctrl+C) pauses every schedule, the daily sweep "
         "included; for schedules that keep running, use `coordination deploy --work-pool POOL` and a worker "
         "(see the README).")
    if web:
        import threading

        threading.Thread(target=_run_web, args=("127.0.0.1", port), daemon=True, name="workspace").start()
        _say(f"workspace: {settings.web_url()} (sign in with your member code)")
    serve_all()


@app.command()
def web(host: Annotated[str, typer.Option(help="Address to listen on (behind a TLS proxy in production).")]
        = "127.0.0.1", port: Annotated[int, typer.Option(help="Port.")] = 8000,
        workers: Annotated[int, typer.Option(help="Worker processes (one per core serves the most users).")] = 1
        ) -> None:
    """Serve the staff workspace (sign in, my items, the case page, forms)."""
    notifications_config.load_notifications()  # a bad configuration is refused before the workspace starts
    if not 1 <= workers <= 64:
        raise InvalidInput(f"{workers} is out of range", record="option", field="workers", hint="give 1 to 64")
    _say(f"workspace: {settings.web_url()} (listening on {host}:{port}, {workers} worker(s))")
    _run_web(host, port, workers)


def _run_web(host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    # access logs would print every URL; URLs hold ids only, but keep the console for errors
    uvicorn.run("coordination.entrypoints.web:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@app.command("signin-link")
def signin_link(member: Annotated[str, typer.Argument(help="Member code.")]) -> None:
    """Print a one-time sign-in link for a member (an administrator's help desk tool)."""
    from coordination.usecases.signin import create_link

    with db.unit_of_work() as session:
        url = create_link(session, common.member_by_code(session, member, field="member"), now=clock.now_utc())
    _say(url)


@app.command()
def cycle(case: str) -> None:
    """Run the care-cycle flow for one case through Prefect."""
    from coordination.flows.care_cycle import care_cycle  # entry point: the library itself never imports Prefect

    _say(json.dumps(care_cycle(case)))


@app.command()
def demo(examples: Annotated[Optional[Path], typer.Option(
             help="Folder with area.yaml, handovers.yaml and follow-ups.yaml.")] = None,
         database: Annotated[Path, typer.Option(help="SQLite file, recreated.")] = Path(".coordination/demo.db")
         ) -> None:
    """Create an embedded database with an example area and run the whole cycle through Prefect."""
    from coordination.entrypoints.demo import run_demo  # imports Prefect flows: only for this entry point

    run_demo(examples=examples, database=database, say=_say)


def _versions(text: str) -> tuple[int, int]:
    first, sep, second = text.partition(":")
    if not (sep and first.strip().isdigit() and second.strip().isdigit()):
        raise InvalidInput(f"'{text}' is not two version numbers", record="option", field="compare",
                           hint="give FROM:TO, e.g. 1:3")
    return int(first), int(second)


def _pair(text: str, field: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise InvalidInput(f"'{text}' is not KEY=TEXT", record="option", field=field, hint="e.g. nursing=wound care")
    return key.strip(), value.strip()


def _database_hint(exc: Exception) -> str:
    text = str(exc).lower()
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return "the coordination database has no schema yet — run `coordination init`"
    return ("cannot reach the coordination database — check COORDINATION_DATABASE_URL "
            f"(now {_masked(settings.database_url())}) and that the database is running")


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is itself the problem to report
        return "an invalid URL"


def main() -> None:
    try:
        app()
    except CoordinationError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if _database_error(exc):
            typer.echo(f"error: {_database_hint(exc)}", err=True)
            sys.exit(6)
        if not _prefect_unreachable(exc):
            raise
        import os

        url = os.environ.get("PREFECT_API_URL")
        if url:
            typer.echo(f"error: cannot reach the Prefect API at {url} — check PREFECT_API_URL and that the Prefect "
                       f"server is running (`prefect server start`), or unset it to use the local server", err=True)
        else:
            timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20")
            typer.echo(f"error: Prefect's local server did not start within {timeout} s — the machine may be busy: "
                       f"run the command again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start "
                       f"`prefect server start` and set PREFECT_API_URL", err=True)
        sys.exit(7)


def _database_error(exc: BaseException) -> bool:
    """SQLAlchemy's connection and missing-table errors; a command that never loaded SQLAlchemy
    cannot have raised one."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, (errors.OperationalError, errors.ProgrammingError))


def _prefect_unreachable(exc: BaseException) -> bool:
    import httpx

    while exc is not None:
        if isinstance(exc, httpx.TransportError) or "Failed to reach API" in str(exc) \
                or "attempting to connect to ephemeral Prefect API server" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
