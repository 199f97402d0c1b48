"""Assess and plan: the SBAR assessment, the SIP and its meeting, and the person's answer."""

from typing import Annotated, Optional

import typer

from coordination.lazy import lazy
from coordination.entrypoints.cli.base import app, By, carry_out, say, pair_option, member_or_none

parsing = lazy("coordination.parsing")
clock = lazy("coordination.domain.calendar")
db = lazy("coordination.persistence.engine")
common = lazy("coordination.usecases.common")
planning = lazy("coordination.usecases.planning")

sip_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       help="Draw up the coordinated individual plan (SIP).")
app.add_typer(sip_app, name="sip")


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
    needs = dict(pair_option(n, "need") for n in need)
    proposals = [{"role": role, "description": text} for role, text in (pair_option(a, "action") for a in action)]
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
            fixed_doctor=member_or_none(session, fixed_doctor, "fixed_doctor"),
            fixed_care_contact=member_or_none(session, fixed_care_contact, "fixed_care_contact"),
            now=clock.now_utc(), record="option")
    say(f"assessment {assessment_id} submitted for {case}")


@app.command()
def plan(case: str, by: By) -> None:
    """Accept the newest assessment and draw up the SIP from it (what the assess-and-plan flow does)."""
    now = clock.now_utc()
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        case_row = common.case_by_number(session, case)
        planning.accept_assessment(session, actor, case=case_row, now=now)
        sip_id = planning.plan_from_assessment(session, actor, case=case_row, now=now)
    say(f"SIP {sip_id} drawn up for {case}")


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
    say(f"SIP {sip_id} drawn up for {case}")


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
    others = [] if no_other_plans else (list(other_plan) if other_plan else None)
    _, version = carry_out(by, "ReviseSip", case=case, coordinator=coordinator, add=list(add), remove=list(remove),
                           what_matters=what_matters, plan_b=plan_b, other_plans=others, next_follow_up=follow_up,
                           relatives_support=relatives_support)
    say(f"{case}: SIP version {version}")


@sip_app.command("meeting")
def sip_meeting_book(case: str, by: By, at: Annotated[str, typer.Option(help="YYYY-MM-DDTHH:MM, Stockholm time.")],
                     place: Annotated[str, typer.Option(help="Where: at home, the health centre, digitally ...")],
                     invite_guardians: Annotated[bool, typer.Option("--invite-guardians")] = False,
                     invite_relatives: Annotated[bool, typer.Option(
                         "--invite-relatives", help="Only under a consent to involve relatives.")] = False) -> None:
    """Book the SIP meeting with the person; the plan's participants are told."""
    _, meeting_id = carry_out(by, "BookSipMeeting", case=case, at=at, place=place, invite_guardians=invite_guardians,
                              invite_relatives=invite_relatives)
    say(f"SIP meeting {meeting_id} booked for {case}")


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
    _, number = carry_out(by, "RecordSipAnswer", meeting=meeting, answer="agreed", answered_by=answered_by,
                          agreement=agreement, agreed_time=agreed_time, child_informed=child_informed,
                          child_heard=child_heard)
    say(f"{number}: the plan is agreed")


@sip_app.command("refuse")
def sip_refuse(meeting: int, by: By, answered_by: AnsweredBy,
               reason: Annotated[str, typer.Option(help="What the person does not agree to.")],
               child_informed: ChildInformed = None, child_heard: ChildHeard = None) -> None:
    """Record that the person (or a guardian) did not agree: the plan is not carried out."""
    _, number = carry_out(by, "RecordSipAnswer", meeting=meeting, answer="refused", answered_by=answered_by,
                          reason=reason, child_informed=child_informed, child_heard=child_heard)
    say(f"{number}: the plan was not agreed; revise it with the person")
