"""Running the service: database, delivery and the outbox, configuration, deployments, reports, the web workspace, the audit log and the demo."""

import dataclasses
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from coordination import settings
from coordination.errors import InvalidInput
from coordination.lazy import lazy
from coordination.entrypoints.cli import status as status_command
from coordination.entrypoints.cli.base import app, By, Json, Now, parse_now, say, enum_option

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
workspace = lazy("coordination.usecases.workspace")

config_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                          help="Administrators' configuration under deployments/.")
app.add_typer(config_app, name="config")
report_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Reports for the local leadership group.")
app.add_typer(report_app, name="report")


@app.command()
def init() -> None:
    """Create the coordination database, or upgrade it to the newest schema (keeps data)."""
    revision = schema.upgrade()
    say(f"database ready at schema revision {revision}")


app.command()(status_command.status)


# roles that answer to no unit manager in the agreements: the managers themselves, the medically
# responsible (MAS, MAR, MLA) and the log reviewer
MANAGES_ITSELF = frozenset({"unit_manager", "mas", "mar", "mla", "log_reviewer"})


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
    say(f"{notifications_config.notifications_path()}: ok ({len(config.tags)} tag(s), {len(members)} member(s) checked)")
    with db.unit_of_work(read_only=True) as session:
        unmanaged = sorted(m.code for m in session.exec(sqlmodel.select(models.Member).where(
            models.Member.active == True, models.Member.manager_id == None)) if m.role not in MANAGES_ITSELF)  # noqa: E711,E712
    if unmanaged:  # an overdue action of theirs escalates to no manager: only operations hear of it
        typer.echo(f"warning: {len(unmanaged)} member(s) have no manager: {', '.join(unmanaged)} — an overdue action "
                   f"of theirs escalates to no manager, and only the operations tag "
                   f"({config.operations_tag or 'none configured'}) hears of it; set `manager` in the import file",
                   err=True)
    screening = identification_config.load_screening()
    where = identification_config.identification_path()
    say(f"{where}: ok" if where.exists() else f"{where}: not there, the default thresholds apply")
    say("  " + ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(screening).items()))
    teams = teams_config.load_teams()
    with db.unit_of_work(read_only=True) as session:
        registry = dict(session.exec(sqlmodel.select(models.Member.code, models.Organisation.code)
                                     .join(models.Organisation, models.Organisation.id == models.Member.organisation_id)).all())
    teams_config.check_team_members(teams, registry)
    say(f"{teams_config.teams_path()}: ok ({len(teams)} team(s), {sum(len(t.all_series()) for t in teams)} meeting series)")
    from coordination.usecases.reports import meetings_held

    with db.unit_of_work(read_only=True) as session:
        held = meetings_held(session, [t.leadership_group.series.id for t in teams if t.leadership_group])
    for warning in teams_config.leadership_warnings(teams, held, until=clock.local_date(clock.now_utc())):
        say(f"warning: {warning}")


@app.command()
def deliver(now: Now = None, as_json: Json = False) -> None:
    """Send pending notifications through apprise (the administrators' tag table routes tag: targets),
    batch after batch until nothing due is left or the configured time budget is spent."""
    config = notifications_config.load_notifications()
    from coordination.notifications.delivery import deliver_pending

    report = deliver_pending(now=parse_now(now), tags=config.tags, budget=config.time_budget,
                             concurrency=config.delivery.concurrency, operations=config.operations_target)
    if as_json:
        from dataclasses import asdict

        say(json.dumps(asdict(report)))
        return
    say(f"claimed {report.claimed}, sent {report.sent}, failed {report.failed}, without target {report.no_target}, "
         f"undeliverable {report.undeliverable}"
         + (f" ({', '.join(report.members_without_target)})" if report.members_without_target else ""))
    if report.revived:
        say(f"{report.revived} earlier undeliverable notification(s) retried: their targets changed")
    if report.remaining:
        say(f"{report.remaining} notification(s) still due: the time budget ran out, the next run goes on")
    if report.lost_claims:
        say(f"stopped: another delivery run took over {report.lost_claims} notification(s) after this one stalled")
    if report.cancelled:
        say(f"{report.cancelled} notification(s) cancelled: the consent no longer covered the recipient when sent")
    if report.unroutable:
        say(f"{report.unroutable} event(s) could not be routed to anyone (`coordination outbox --status unroutable`);"
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
    db.existing_database()
    wanted = str(enum_option(OutboxStatus, status, "status")) if status else None
    with db.unit_of_work() as session:
        rows = outbox_rows(session, status=wanted)
    if as_json:
        say(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        say(f"#{r['id']:<6} {r['status']:<10} {r['kind']:<20} to {r['to'] or '-':<16} {r['case'] or '':<12} "
             f"attempts {r['attempts']}" + (f"  next {r['next_attempt_at'][:16]}" if r['next_attempt_at'] else "")
             + (f"  {r['last_error']}" if r['last_error'] else "") + (f"  ({r['cancel_reason']})" if r['cancel_reason'] else ""))
    say(f"{len(rows)} notification(s)")


@outbox_app.command("retry")
def outbox_retry(status: Annotated[list[str], typer.Option(
                     help="Which rows: no_target, failed or pending (repeatable).")] = ["no_target", "failed"],
                 member: Annotated[Optional[str], typer.Option(help="Only this member's notifications.")] = None,
                 now: Now = None) -> None:
    """Make notifications that ended without a working target (or wait out a backoff) due now; the
    next delivery sends them."""
    from coordination.domain.vocabulary import OutboxStatus
    from coordination.usecases.operations import retry_outbox

    db.existing_database()
    wanted = [str(enum_option(OutboxStatus, s, "status")) for s in status]
    if bad := [s for s in wanted if s not in ("no_target", "failed", "pending")]:
        raise InvalidInput(f"'{bad[0]}' notifications cannot be retried", record="option", field="status",
                           hint="use no_target, failed or pending")
    with db.unit_of_work() as session:
        member_id = common.member_by_code(session, member, field="member").id if member else None
        count = retry_outbox(session, statuses=wanted, member_id=member_id, now=parse_now(now))
    say(f"{count} notification(s) due now; `coordination deliver` sends them")


@app.command()
def sweep(deliver: Annotated[bool, typer.Option("--deliver/--no-deliver")] = True, now: Now = None) -> None:
    """Run the follow-up sweep flow now: reminders, overdue items, escalations, digests."""
    from coordination.flows.follow_up_sweep import follow_up_sweep  # entry point: the library never imports Prefect

    notifications_config.load_notifications()  # a bad config is refused before anything runs
    state = follow_up_sweep(now=parse_now(now) if now else None, deliver=deliver, return_state=True)
    say(json.dumps(state.result(raise_on_failure=False) if state.is_completed() else
                    {"state": state.name, "message": state.message}, default=str))
    if not state.is_completed():
        raise typer.Exit(1)


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
    say(f"deployments: {', '.join(applied)}" + (f"; removed: {', '.join(removed)}" if removed else ""))


@report_app.command("annual")
def report_annual(year: Annotated[Optional[int], typer.Argument(help="Default: last year.")] = None) -> None:
    """The annual report's indicators (also written to reports/annual-report-YEAR.json)."""
    from coordination.flows.annual_report import annual_report

    say(json.dumps(annual_report(year), indent=2))


@app.command()
def serve(web: Annotated[bool, typer.Option("--web/--no-web", help="Also serve the staff workspace.")] = True,
          port: Annotated[int, typer.Option(help="The workspace's port.")] = 8000) -> None:
    """Serve the scheduled flows in this process (embedded mode), and the workspace beside them.
    Stopping it pauses every schedule: for schedules that outlive it, deploy to a work pool."""
    from coordination.flows.deployments import serve_all

    say("Serving the schedules in this process. Stopping it (Ctrl+C) pauses every schedule, the daily sweep "
         "included; for schedules that keep running, use `coordination deploy --work-pool POOL` and a worker "
         "(see the README).")
    if web:
        import threading

        settings.serve_web_at("127.0.0.1", port)
        threading.Thread(target=_run_web, args=("127.0.0.1", port), daemon=True, name="workspace").start()
        say(f"workspace: {settings.web_url()} (sign in with your member code)")
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
    settings.serve_web_at(host, port)
    say(f"workspace: {settings.web_url()} (listening on {host}:{port}, {workers} worker(s))")
    _run_web(host, port, workers)


def _run_web(host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    # access logs would print every URL; URLs hold ids only, but keep the console for errors
    uvicorn.run("coordination.entrypoints.web:serve", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@app.command("fhir-client")
def fhir_client(client_id: Annotated[str, typer.Argument(help="The client id the system will use.")],
                organisation: Annotated[str, typer.Option(help="Code of the organisation the system belongs to.")],
                jwks: Annotated[Path, typer.Option(help="The system's public keys, a JWKS file.")]) -> None:
    """Register a system for the FHIR API (SMART Backend Services): one organisation, its public keys."""
    from coordination.usecases.fhir_clients import register_client

    try:
        keys = json.loads(jwks.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"cannot be read as JSON ({type(exc).__name__})", record=str(jwks), field="jwks",
                           hint="give a JWKS file: {\"keys\": [{...}]}") from None
    db.existing_database()
    with db.unit_of_work() as session:
        register_client(session, common.actor_for(session, None, system="system:cli"), client_id=client_id,
                        organisation=organisation,
                        jwks=keys, now=clock.now_utc())
    say(f"fhir client {client_id} registered for {organisation}: token endpoint {settings.web_url()}/fhir/R4/auth/token")


@app.command("signin-link")
def signin_link(member: Annotated[str, typer.Argument(help="Member code.")]) -> None:
    """Print a one-time sign-in link for a member (an administrator's help desk tool)."""
    from coordination.usecases.signin import create_link

    with db.unit_of_work() as session:
        url = create_link(session, common.member_by_code(session, member, field="member"), now=clock.now_utc())
    say(url)


@app.command("audit")
def audit_(by: By, person: Annotated[Optional[str], typer.Option(help="Personnummer of the person.")] = None,
           member: Annotated[Optional[str], typer.Option(help="Code of the member who acted.")] = None,
           since: Annotated[Optional[str], typer.Option("--from", help="YYYY-MM-DD (Stockholm).")] = None,
           until: Annotated[Optional[str], typer.Option("--to", help="YYYY-MM-DD, exclusive.")] = None,
           case: Annotated[Optional[str], typer.Option(help="Case number: its events and its person's.")] = None,
           kind: Annotated[Optional[str], typer.Option(help="read, change, refused or emergency.")] = None,
           to_review: Annotated[bool, typer.Option("--to-review", help="Only what the review looks at first: emergency accesses, protected identities, closed cases, refusals in a row.")] = False,
           as_json: Json = False) -> None:
    """Review the audit log by person, member or period."""
    import pendulum

    from coordination.usecases.audit_log import list_events

    def moment(text, field):
        day = parsing.parse_optional_date(text, record="option", field=field)
        return pendulum.datetime(day.year, day.month, day.day, tz="Europe/Stockholm") if day else None

    now = clock.now_utc()
    db.existing_database()
    with db.unit_of_work() as session:
        actor = common.actor_for(session, by)
        who = common.person_by_personnummer(session, person, today=clock.local_date(now)) if person else None
        acting = common.member_by_code(session, member, field="member").id if member else None
        rows = list_events(session, actor, person=who, member_id=acting, since=moment(since, "from"),
                           until=moment(until, "to"), now=now, to_review=to_review, case_number=case,
                           kind=kind)
    if as_json:
        say(json.dumps([{"at": at.isoformat(), "actor": a, "action": act, "record_type": rt, "record_id": rid,
                          "person": pnr} for at, a, act, rt, rid, pnr in rows], ensure_ascii=False))
        return
    for at, actor_label, action, record_type, record_id, pnr in rows:
        say(f"{at:%Y-%m-%d %H:%M:%S}Z  {actor_label:<16} {action:<9} {record_type} {record_id}"
             + (f"  person {pnr}" if pnr else ""))
    say(f"{len(rows)} event(s)")


@app.command()
def cycle(case: str) -> None:
    """Run the care-cycle flow for one case through Prefect."""
    from coordination.flows.care_cycle import care_cycle  # entry point: the library itself never imports Prefect

    say(json.dumps(care_cycle(case)))


@app.command()
def demo(examples: Annotated[Optional[Path], typer.Option(
             help="Folder with area.yaml, handovers.yaml and follow-ups.yaml.")] = None,
         database: Annotated[Path, typer.Option(help="SQLite file, recreated.")] = Path(".coordination/demo.db")
         ) -> None:
    """Create an embedded database with an example area and run the whole cycle through Prefect."""
    from coordination.entrypoints.demo import run_demo  # imports Prefect flows: only for this entry point

    run_demo(examples=examples, database=database, say=say)
