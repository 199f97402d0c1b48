"""`coordination demo`: an example area run through the whole cycle on the embedded defaults.

It is an entry point, like the CLI: it stands in for the staff (importing the area, entering
SBAR handovers and follow-up outcomes) and runs the cycle's Prefect flows on Prefect's local
server. The clock is fixed so that every run tells the same story: identification and planning
on Monday 2026-11-16, follow-ups a month later."""

from __future__ import annotations

import os
import shutil
from importlib import resources
from collections.abc import Callable
from pathlib import Path

import pendulum
from sqlmodel import select

from coordination import settings
from coordination.domain.vocabulary import ActionStatus, CaseStatus
from coordination.entrypoints.importer import import_data, load_file
from coordination.persistence import schema
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Action, CareCase, Consent, Member, Person
from coordination.usecases import acting, consent, queries
from coordination.usecases.totals import totals as count_all
from coordination.usecases.common import Actor

EXAMPLES = resources.files("coordination") / "examples"  # packaged data: works from any install
PLANNING_DAY = pendulum.datetime(2026, 11, 16, 8, 0, tz="Europe/Stockholm")
FOLLOW_UP_DAY = pendulum.datetime(2026, 12, 16, 9, 0, tz="Europe/Stockholm")
WITHDRAWING = "19390512-5344"  # this person withdraws consent after the SIP is drawn up


def run_demo(*, examples: Path | None, database: Path, say: Callable[[str], None]) -> dict:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # A busy machine can take longer than Prefect's default 20 s to start its local server.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    # Run logs go to Prefect (the UI shows them); the console keeps warnings and the summary.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    for attempt in (1, 2):
        try:
            # Heartbeats detect crashed long runs; the demo's short runs would each wait a second.
            with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
                return _run(examples=examples or EXAMPLES, database=database, say=say)
        except RuntimeError as exc:  # the database is made anew, so one more try is safe
            if not slow_start(exc):
                raise
            _stop_local_server()
            if attempt == 2:
                raise
            say("Prefect's local server was slow to start; trying once more")
    raise AssertionError("unreachable")


def _stop_local_server() -> None:
    """Prefect leaves a local server that missed its start-up deadline running, and a second
    start forgets the first: stop it, or it outlives the demo."""
    from prefect.server.api.server import SubprocessASGIServer

    for server in list(SubprocessASGIServer._instances.values()):
        server.stop()


def slow_start(exc: BaseException) -> bool:
    return "attempting to connect to ephemeral Prefect API server" in str(exc)


def _run(*, examples: Path, database: Path, say: Callable[[str], None]) -> dict:
    from coordination.flows.care_cycle import care_cycle
    from coordination.flows.follow_up import follow_up
    from coordination.flows.follow_up_sweep import follow_up_sweep
    from coordination.flows.identify import identify

    area, handovers, outcomes = (load_file(examples / name)
                                 for name in ("area.yaml", "handovers.yaml", "follow-ups.yaml"))
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the data and the mailboxes: owner only
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.environ["COORDINATION_DATABASE_URL"] = f"sqlite:///{database}"
    # the example area's own configuration, unless the operator points at theirs
    os.environ.setdefault("COORDINATION_NOTIFICATIONS_CONFIG", str(examples / "notifications.yaml"))
    os.environ.setdefault("COORDINATION_TEAMS_CONFIG", str(examples / "teams.yaml"))
    schema.upgrade()
    staff = Actor("system:demo")
    t0, t1 = PLANNING_DAY.in_timezone("UTC"), FOLLOW_UP_DAY.in_timezone("UTC")

    mailboxes = (database.parent / "mailbox").resolve()
    shutil.rmtree(mailboxes, ignore_errors=True)
    with unit_of_work() as session:
        counts = import_data(session, staff, area, now=t0)
        # every example member gets a local mailbox, so the demo's messages are really delivered
        for member in session.exec(select(Member)):
            member.notify = [f"mailbox://{mailboxes / member.code}"]
            session.add(member)
    say("loaded " + ", ".join(f"{v} {k}" for k, v in counts.items() if v))

    found = identify(now=t0)
    say(f"identify: screened {found['screened']} persons, opened {found['opened']} cases")

    with unit_of_work() as session:
        import_data(session, staff, handovers, now=t0)
        numbers = [n for n, _, _ in queries.list_cases(session)]
    for number in numbers:
        care_cycle(number, now=t0)

    # Between planning and follow-up, staff do the work and one person changes their mind.
    with unit_of_work() as session:
        for action in session.exec(select(Action).where(Action.status == ActionStatus.ASSIGNED)
                                   .order_by(Action.id)).all()[::2]:
            acting.complete_action(session, staff, action_id=action.id, now=t0.add(days=10))
        person = session.exec(select(Person).where(Person.personnummer == WITHDRAWING)).one()
        for c in session.exec(select(Consent).where(Consent.person_id == person.id)):
            consent.withdraw_consent(session, staff, consent_id=c.id, now=t0.add(days=12))
        import_data(session, staff, outcomes, now=t1)
        active = session.exec(select(CareCase.number).where(CareCase.status == CaseStatus.ACTIVE)).all()
    for number in active:
        follow_up(number, now=t1)

    # The morning after the follow-ups: the sweep tells each member what is due, in one digest.
    follow_up_sweep(now=t1.add(days=1))

    with unit_of_work() as session:
        totals = count_all(session)
    cases = totals["cases"]
    say("")
    say(f"cases:          {sum(cases.values())} ({', '.join(f'{v} {k}' for k, v in sorted(cases.items()))})")
    say(f"SIPs:           {totals['sips']} ({totals['sip_versions']} versions)")
    say(f"actions:        {sum(totals['actions'].values())} "
        f"({', '.join(f'{v} {k}' for k, v in sorted(totals['actions'].items()))})")
    say(f"follow-ups:     {totals['follow_ups']}")
    say(f"notifications:  {sum(totals['notifications'].values())} queued "
        f"({', '.join(f'{v} {k}' for k, v in sorted(totals['notifications'].items()))})")
    say("")
    say(f"The coordination database is {database}; try "
        f"`COORDINATION_DATABASE_URL=sqlite:///{database} .venv/bin/coordination cases`.")
    with unit_of_work() as session:
        shown = _a_digest(session)
    if shown is not None:
        code, subject, body, link = shown
        say("")
        say(f"Every message was delivered to a local mailbox per member under {mailboxes}/.")
        say(f"A digest, as member {code} received it in {mailboxes / code}/ (Swedish by default):")
        say("")
        for line in [subject, "", *body.splitlines()]:
            say(f"    {line}")
        say("")
        say("Open the workspace and act on it in a browser:")
        say(f"    COORDINATION_DATABASE_URL=sqlite:///{database} .venv/bin/coordination web")
        say(f"then sign in as {code} with this one-time link (valid for 15 minutes):")
        say(f"    {link}")
        say(f"(a new link later: `COORDINATION_DATABASE_URL=sqlite:///{database} "
            f".venv/bin/coordination signin-link {code}`)")
        say(f"The team's next coordination meeting, with its agenda, is under {settings.web_url()}/meetings")
    say("")
    api = os.environ.get("PREFECT_API_URL")
    if api:  # the runs are on the operator's own Prefect server
        say(f"The flow runs are in the Prefect UI at {api.rstrip('/').removesuffix('/api')}/runs")
    else:
        say("To see the flow runs, start the Prefect UI with `.venv/bin/prefect server start` and open "
            "http://127.0.0.1:4200/runs")
    return totals


def _a_digest(session) -> tuple[str, str, str, str] | None:
    """The first digest of the sweep, its recipient and a sign-in link for them."""
    from coordination.domain.calendar import now_utc
    from coordination.persistence.models import Member, Outbox
    from coordination.usecases.signin import create_link

    rows = session.exec(select(Outbox, Member).join(Member, Member.id == Outbox.member_id)
                        .where(Outbox.kind == "digest").order_by(Outbox.id)).all()
    if not rows:
        return None
    # a team member's own items show the workspace best; a manager's escalations come second
    row, member = next(((o, m) for o, m in rows if m.role != "unit_manager"), rows[0])
    return member.code, row.subject, row.body, create_link(session, member, now=now_utc())
