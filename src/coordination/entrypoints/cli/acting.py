"""Act and follow up: actions, follow-ups, sharing, deviations and escalations."""

import dataclasses
import json
from typing import Annotated, Optional

import typer

from coordination.lazy import lazy
from coordination.entrypoints.cli.base import app, By, Json, carry_out, say

clock = lazy("coordination.domain.calendar")
db = lazy("coordination.persistence.engine")
common = lazy("coordination.usecases.common")
planning = lazy("coordination.usecases.planning")
workspace = lazy("coordination.usecases.workspace")

action_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                          help="Actions with a responsible member and a handling time.")
app.add_typer(action_app, name="action")
deviation_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                             help="Deviations (avvikelser): report what did not happen; managers close them.")
app.add_typer(deviation_app, name="deviation")
escalation_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                              help="Take a question to MAS, MAR, MLA or the managers, and answer it.")
app.add_typer(escalation_app, name="escalation")


@action_app.command("add")
def action_add(case: str, by: By, responsible: Annotated[str, typer.Option()],
               description: Annotated[str, typer.Option()],
               handling_time: Annotated[str, typer.Option(help="urgent, next_day, next_working_day, when_needed.")],
               follow_up: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD; default the SIP's.")] = None,
               as_json: Json = False) -> None:
    """Add a decided action and tell the responsible member."""
    _, action_id = carry_out(by, "AddAction", case=case, responsible=responsible, description=description,
                             handling_time=handling_time, follow_up_date=follow_up)
    say(json.dumps({"action": action_id, "case": case}) if as_json else f"action {action_id} added to {case}")


@action_app.command("done")
def action_done(action_id: int, by: By) -> None:
    """Mark an action done."""
    _, number = carry_out(by, "CompleteAction", action=action_id)
    say(f"action {action_id} in {number} is done")


@app.command("follow-up")
def follow_up(case: str, by: By, outcome: Annotated[str, typer.Option()],
              needs_remain: Annotated[bool, typer.Option("--needs-remain/--needs-met")],
              next_date: Annotated[Optional[str], typer.Option("--next", help="YYYY-MM-DD when needs remain.")]
              = None,
              verdict: Annotated[Optional[str], typer.Option(
                  help="The person's answer to 'I get the care and support I need, when I need it and where I need "
                       "it': agree, partly or disagree.")] = None) -> None:
    """Record a follow-up: needs remain -> a new SIP version; needs met -> the case closes."""
    _, counts = carry_out(by, "RecordFollowUp", case=case, outcome=outcome, needs_remain=needs_remain,
                          next_follow_up=next_date, verdict=verdict)
    say(f"{case}: " + ("closed" if counts["closed"] else "SIP revised"))


@app.command()
def share(case: str, by: By, from_org: Annotated[str, typer.Option("--from")],
          to_org: Annotated[str, typer.Option("--to")]) -> None:
    """Hand the case over to another organisation (requires consent; logged)."""
    with db.unit_of_work() as session:
        share_id, view, warnings = planning.share_information(
            session, common.actor_for(session, by), case_number=case, from_org=from_org, to_org=to_org, now=clock.now_utc())
    say(f"handover {share_id} of {case} from {from_org} to {to_org}")
    say(f"  {view.name}, {view.personnummer}; address: {view.address or '-'}; phone: {view.phone or '-'}")
    for warning in warnings:
        say(f"  {warning}")


@deviation_app.command("report")
def deviation_report(case: str, by: By,
                     description: Annotated[str, typer.Option(help="What was agreed and did not happen.")],
                     action: Annotated[Optional[int], typer.Option(help="The action that did not happen.")] = None,
                     responsible: Annotated[Optional[str], typer.Option(
                         help="Member code of the one responsible, when no action is named.")] = None) -> None:
    """Report a deviation on a case you take part in; the responsible member's manager is told."""
    _, deviation_id = carry_out(by, "ReportDeviation", case=case, description=description, action=action,
                                responsible=responsible)
    say(f"deviation {deviation_id} reported for {case}")


@deviation_app.command("list")
def deviation_list(by: By, as_json: Json = False) -> None:
    """The deviations of your unit (you are the manager they went to), newest first."""
    db.existing_database()
    with db.unit_of_work() as session:
        lines = workspace.unit_deviations(session, common.actor_for(session, by), now=clock.now_utc())
    if as_json:
        say(json.dumps([dataclasses.asdict(line) for line in lines], ensure_ascii=False, default=str))
        return
    for line in lines:
        state = f"closed {line.closed_at:%Y-%m-%d}" if line.closed_at else "open"
        say(f"#{line.id} {line.case_number} {line.item_kind} due {line.due_date} {state}: {line.description or ''}")


@deviation_app.command("close")
def deviation_close(deviation: int, by: By, note: Annotated[str, typer.Option(help="What was done about it.")]) -> None:
    _, number = carry_out(by, "CloseDeviation", deviation=deviation, note=note)
    say(f"deviation {deviation} in {number} is closed")


@escalation_app.command("raise")
def escalation_raise(case: str, by: By, to: Annotated[str, typer.Option(help="mas, mar, mla or managers.")],
                     reason: Annotated[str, typer.Option(help="The question or disagreement, and what was tried.")]
                     ) -> None:
    """Take a question the professionals cannot settle further; those it goes to are told."""
    cmd, escalation_id = carry_out(by, "RaiseEscalation", case=case, level=to, reason=reason)
    say(f"escalation {escalation_id} taken to {cmd.level} for {case}")


@escalation_app.command("answer")
def escalation_answer(escalation: int, by: By, answer: Annotated[str, typer.Option()]) -> None:
    _, number = carry_out(by, "AnswerEscalation", escalation=escalation, answer=answer)
    say(f"escalation {escalation} in {number} is answered")
