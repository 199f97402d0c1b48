"""Identify and open cases: signals, the identify screen, imports, case records and the member list."""

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from coordination.domain.vocabulary import IdentificationReason, Initiator
from coordination.errors import InvalidInput
from coordination.lazy import lazy
from coordination.entrypoints.cli.base import (
    app, LARGE_IMPORT, By, Json, Now, carry_out, parse_now, say, enum_option, versions_option,
    member_or_none,
)

clock = lazy("coordination.domain.calendar")
identification_config = lazy("coordination.config.identification")
db = lazy("coordination.persistence.engine")
common = lazy("coordination.usecases.common")
identify = lazy("coordination.usecases.identify")
planning = lazy("coordination.usecases.planning")
queries = lazy("coordination.usecases.queries")
registry = lazy("coordination.usecases.registry")
revising = lazy("coordination.usecases.revising")

case_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Open and read coordination cases.")
app.add_typer(case_app, name="case")


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
    say("imported " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))


@app.command("identify")
def identify_(now: Now = None, as_json: Json = False) -> None:
    """Screen new signals against the identification criteria; open or flag cases."""
    moment = parse_now(now)
    policy = identification_config.load_screening()
    with db.unit_of_work() as session:
        result = identify.identify(session, common.actor_for(session, None, system="system:cli"), now=moment,
                                   policy=policy)
    if as_json:
        say(json.dumps({"screened": result.screened_persons, "opened": result.opened, "flagged": result.flagged}))
        return
    say(f"screened {result.screened_persons} person(s); opened {', '.join(result.opened) or 'none'}; "
         f"flagged {', '.join(result.flagged) or 'none'}")


@app.command("signal")
def signal(personnummer: str, by: By,
           kind: Annotated[str, typer.Option(help="What was seen: emergency_visit, readmission, concern_raised, "
                                                  "hospital_discharge, school_absence, missed_appointment, …")],
           on: Annotated[Optional[str], typer.Option(
               "--occurred-on", "--on", help="When it happened, YYYY-MM-DD (default: today).")] = None,
           days: Annotated[Optional[int], typer.Option(help="How long, in days (a school absence).")] = None) -> None:
    """Report a signal about a person; `coordination identify` screens it against the criteria."""
    _, signal_id = carry_out(by, "ReportSignal", personnummer=personnummer, kind=kind, occurred_on=on, days=days)
    say(f"signal {signal_id} reported; `coordination identify` screens it")


@case_app.command("open")
def case_open(personnummer: str, by: By,
              reason: Annotated[list[str], typer.Option(help="Identification reason(s).")] = (),
              initiated_by: Annotated[str, typer.Option(
                  help="Who asked for coordination: staff, person, relative or guardian.")] = "staff") -> None:
    """Open a case by hand: anyone may initiate coordination, the person or a relative too."""
    now = clock.now_utc()
    reasons = [enum_option(IdentificationReason, r, "reason") for r in reason]
    initiator = enum_option(Initiator, initiated_by, "initiated_by")
    if initiator == Initiator.IDENTIFICATION:
        raise InvalidInput("identification opens cases itself", record="option", field="initiated_by",
                           hint="give staff, person, relative or guardian")
    with db.unit_of_work() as session:
        person = common.person_by_personnummer(session, personnummer, today=clock.local_date(now))
        number = identify.open_case(session, common.actor_for(session, by), person=person, reasons=reasons, now=now,
                                    initiated_by=initiator)
    say(f"case {number} is open and flagged for the next coordination meeting")


@case_app.command("show")
def case_show(case: str, by: By, compare: Annotated[Optional[str], typer.Option(
        help="Two SIP versions, e.g. 1:3: show what changed between them instead.")] = None) -> None:
    """Show a case's record as JSON (personal data: this read is audited)."""
    db.existing_database()
    versions = versions_option(compare) if compare else None
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        if versions:
            first, second = versions
            found = revising.compare_versions(session, actor, case=common.case_by_number(session, case),
                                              first=first, second=second, now=clock.now_utc())
            record = {"case": case, "from": first, "to": second, "changes": [dataclasses.asdict(c) for c in found]}
        else:
            record = queries.case_record(session, actor, case, now=clock.now_utc())
    say(json.dumps(record, indent=2, ensure_ascii=False, default=str))


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
            fixed_doctor=member_or_none(session, fixed_doctor, "fixed_doctor"),
            fixed_care_contact=member_or_none(session, fixed_care_contact, "fixed_care_contact"),
            now=clock.now_utc(), record="option")
    say(f"{case}: fixed contacts named")


@app.command("cases")
def cases(as_json: Json = False) -> None:
    """List case numbers with their status."""
    db.existing_database()
    with db.unit_of_work() as session:
        rows = queries.list_cases(session)
    if as_json:
        say(json.dumps([{"case": n, "status": s, "flagged_for_meeting": f} for n, s, f in rows]))
        return
    for number, status, flagged in rows:
        say(f"{number}  {status:<10}{'  flagged for meeting' if flagged else ''}")


@app.command("members")
def members(as_json: Json = False) -> None:
    """List the members: code, role, organisation, whether active, and their notification entries
    (env: and tag: names; a URL written in the file shows only its scheme)."""
    db.existing_database()
    with db.unit_of_work() as session:
        rows = registry.list_members(session)
    if as_json:
        say(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        say(f"{row['code']:<12} {row['role']:<22} {row['organisation']:<14} "
             f"{'active' if row['active'] else 'inactive':<9} {', '.join(row['notify']) or '(no target)'}")
