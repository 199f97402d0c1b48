"""Default-deny for the command line, as tests/web/test_security.py has it for the routes: every
command is classified, and a new one that is not fails here.

- A command that acts for a member (`--by`) builds a typed command whose class declares the
  purpose it needs (or None, with the reason written beside it), or is a reviewed read whose
  use case asks the policy; each such read is refused to an outsider here.
- A command without `--by` acts as the system for every organisation (operations, the
  scheduled jobs): those are listed with why, and they are checked at every recipient."""

from __future__ import annotations

import inspect
import re

import pytest
import typer
from sqlmodel import select
from typer.testing import CliRunner

from coordination.entrypoints.cli import app
from coordination.errors import AccessDenied
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent
from coordination.usecases import commands
from tests.usecases.test_cycle import open_and_plan

# acts for a member, no typed command: the use case asks the policy, and refuses an outsider
SBAR = ["--what-matters", "x", "--situation", "x", "--background", "x", "--assessment", "x", "--recommendation", "x",
        "--handling-time", "next_day"]
MEMBER_READS = {
    "assess": ["assess", "K-2026-0015", "--by", "mar", *SBAR],  # planning.submit_assessment: PLAN
    "plan": ["plan", "K-2026-0015", "--by", "mar"],  # accept_assessment, plan_from_assessment: PLAN first
    "sip create": ["sip", "create", "K-2026-0015", "--by", "mar", "--coordinator", "mar", "--participant", "hsv-ssk2",
                   "--follow-up", "2027-01-10", "--what-matters", "x"],  # planning.create_sip: PLAN
    "share": ["share", "K-2026-0015", "--by", "mar", "--from", "hsv-norrby", "--to", "rehab-norrby"],  # HANDOVER
    "case show": ["case", "show", "K-2026-0015", "--by", "mar"],  # queries.case_record: READ
    "case open": None,  # identify.open_case: the member's commission; opening grants nothing
    "case contacts": ["case", "contacts", "K-2026-0015", "--by", "mar", "--fixed-care-contact", "mar"],  # PLAN
    "audit": ["audit", "--by", "hc-dsk1"],  # may_review_log
    "deviation list": None,  # workspace.unit_deviations: the manager's own, each line READ or withheld
    "meeting agenda": ["meeting", "agenda", "norrby", "norrby-weekly", "--by", "mar"],  # the team's members
    "import": None,  # an administrator's file: the system actor, or the member named, for the audit
}
# no member: the system acts, for every organisation, and shares only where each recipient may
SYSTEM = {
    "identify": "the morning's screening: opens cases, grants no one anything",
    "cases": "the administrators' list: case numbers and statuses, no personal data",
    "members": "the administrators' list of members",
    "calendar": "a team's meeting dates: no case",
    "init": "creates the schema", "status": "counts, no personal data",
    "deliver": "sends queued messages: each recipient was checked when it was queued",
    "sweep": "the follow-up sweep: each notice asks the policy for its recipient",
    "deploy": "Prefect deployments", "serve": "runs the scheduler", "web": "runs the workspace",
    "signin-link": "the help desk's link for a member: signs in, reads nothing",
    "cycle": "the care cycle's flow for one case: shares only where each recipient may",
    "demo": "a new embedded database with the example area",
    "meeting prepare": "the meeting's preparation: each agenda line asks the policy for each member",
    "config check": "reads the configuration files", "report annual": "aggregate figures, no personal data",
    "outbox retry": "requeues failed messages",
    "fhir-client": "an administrator registers a system for one organisation: it reads nothing itself",
}


def every_command() -> dict[str, object]:
    def walk(command, prefix=""):
        subs = getattr(command, "commands", None)
        if subs:
            for name, sub in subs.items():
                yield from walk(sub, f"{prefix} {name}".strip())
        else:
            yield prefix, command
    return dict(walk(typer.main.get_command(app)))


def test_every_command_declares_its_purpose_or_is_reviewed():
    unclassified, undeclared = [], []
    for name, command in every_command().items():
        params = {p.name for p in command.params}
        source = inspect.getsource(command.callback)
        built = re.findall(r'carry_out\(\s*by,\s*"(\w+)"', source)
        if built:
            for class_name in built:
                cls = getattr(commands, class_name)
                declared = next((k for k in cls.__mro__ if "purpose" in vars(k)), None)
                if declared is None or (cls.purpose is None and "purpose = None  #" not in inspect.getsource(declared)):
                    undeclared.append((name, class_name))
        elif "by" in params and name not in MEMBER_READS:
            unclassified.append(name)
        elif "by" not in params and name not in SYSTEM:
            unclassified.append(name)
    assert unclassified == [], "classify these commands in MEMBER_READS or SYSTEM"
    assert undeclared == [], "declare the purpose these commands need (or None, with the reason)"
    assert len(every_command()) >= 45


@pytest.mark.parametrize("name", [n for n, args in MEMBER_READS.items() if args])
def test_a_members_read_is_refused_to_an_outsider_and_the_refusal_audited(sqlite_url, example_data, monkeypatch,
                                                                        name):
    open_and_plan(sqlite_url, example_data)  # mar, the region's MAR, has no part in any case
    with unit_of_work() as s:
        before = len(s.exec(select(AuditEvent)).all())
    result = CliRunner().invoke(app, MEMBER_READS[name])
    assert isinstance(result.exception, AccessDenied), (name, result.output, result.exception)
    with unit_of_work(read_only=True) as s:
        added = s.exec(select(AuditEvent).order_by(AuditEvent.id)).all()[before:]
    assert [e.action.split(":")[0] for e in added] == ["refused"]  # nothing but the refusal's own event
