"""The meeting flow and the deployments made from the administrators' files."""

from __future__ import annotations

import asyncio
import json

import pendulum
import pytest
import yaml
from sqlmodel import select

from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Member, Outbox
from tests.conftest import ROOT
from tests.notifications.test_delivery import personal_strings
from tests.usecases.test_sweep import world

pytestmark = pytest.mark.usefixtures("prefect_harness")
SUNDAY = pendulum.datetime(2026, 11, 29, 13, tz="Europe/Stockholm")  # 48 h before Tuesday 2026-12-01


async def _artifacts(key):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))


def meeting_rows(kind):
    with unit_of_work() as s:
        return s.exec(select(Outbox).where(Outbox.kind == kind)).all()


def test_prepare_builds_the_agenda_appoints_a_leader_and_invites_once(sqlite_url, example_data):
    from coordination.flows.meeting import coordination_meeting

    world(sqlite_url, example_data)
    result = coordination_meeting("norrby", "norrby-weekly", "prepare", now=SUNDAY)
    assert result["date"] == "2026-12-01" and result["invited"] == 9
    assert result["leader"] in {"hsv-ssk1", "hsv-ssk2", "hc-dsk1", "hc-dsk2"}
    invitations = meeting_rows("meeting_invitation")
    assert len(invitations) == 9
    body = invitations[0].body
    assert "https://meet.example.org/norrby-samordning" in body and "2026-12-01 13:00–14:00" in body
    again = coordination_meeting("norrby", "norrby-weekly", "prepare", now=SUNDAY.add(minutes=5))
    assert again["invited"] == 9 and len(meeting_rows("meeting_invitation")) == 9  # retried: nothing new
    artifact = asyncio.run(_artifacts("agenda-norrby-weekly"))[0]  # both runs publish; newest first
    text = artifact.data if isinstance(artifact.data, str) else json.dumps(artifact.data)
    titles = ["1. Current situation", "2. Patients who need coordination at discharge", "3. Identified at-risk",
              "4. Short follow-up", "5. Persons who need a SIP", "6. Summary"]
    positions = [text.index(t) for t in titles]
    assert positions == sorted(positions)
    assert "K-2026-0013 — consent needed" in text  # no consent: nothing but the marker
    for secret in personal_strings(example_data) + ["senior alert", "palliative", "readmitted"]:
        assert secret not in text and secret not in body


def test_reminder_and_inactive_members_and_an_off_cadence_run(sqlite_url, example_data):
    from coordination.flows.meeting import coordination_meeting

    world(sqlite_url, example_data)
    with unit_of_work() as s:
        member = s.exec(select(Member).where(Member.code == "hc-lak")).one()
        member.active = False
        s.add(member)
    reminded = coordination_meeting("norrby", "norrby-weekly", "remind",
                                    now=pendulum.datetime(2026, 12, 1, 11, tz="Europe/Stockholm"))
    assert reminded["invited"] == 8 and len(meeting_rows("meeting_reminder")) == 8
    nothing = coordination_meeting("norrby", "norrby-weekly", "prepare",
                                   now=pendulum.datetime(2026, 12, 3, 9, tz="Europe/Stockholm"))
    assert nothing == {"date": None, "invited": 0}


def test_deploy_updates_schedules_and_removes_deleted_series(tmp_path, monkeypatch):
    from prefect.client.orchestration import get_client

    from coordination.flows.deployments import apply_all

    data = yaml.safe_load((ROOT / "deployments" / "teams.yaml").read_text())
    extra = dict(data["teams"][0]["meetings"][0], id="norrby-extra", weekday="thursday")
    data["teams"][0]["meetings"].append(extra)
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setenv("COORDINATION_TEAMS_CONFIG", str(path))
    applied, _ = apply_all()
    assert {"norrby-weekly-prepare", "norrby-extra-prepare", "follow-up-sweep"} <= set(applied)

    data["teams"][0]["meetings"] = [dict(data["teams"][0]["meetings"][0], start="14:30")]  # moved; extra deleted
    path.write_text(yaml.safe_dump(data))
    applied, removed = apply_all()
    assert "coordination-meeting/norrby-extra-prepare" in removed and "coordination-meeting/norrby-extra-remind" in removed

    with get_client(sync_client=True) as client:
        deployments = {d.name: d for d in client.read_deployments()}
    assert "norrby-extra-prepare" not in deployments
    weekly = deployments["norrby-weekly-prepare"]
    assert len(weekly.schedules) == 1  # replaced, never two
    rrule = weekly.schedules[0].schedule.rrule  # 48 h before Tuesday 14:30, with the holiday exceptions
    assert rrule.startswith("DTSTART:") and "T143000\nRRULE:FREQ=WEEKLY;INTERVAL=1" in rrule and "EXDATE:" in rrule
    assert weekly.schedules[0].schedule.timezone == "Europe/Stockholm"
    assert weekly.parameters == {"team_id": "norrby", "series_id": "norrby-weekly", "step": "prepare"}


def test_annual_report_writes_indicators(sqlite_url, example_data, tmp_path, monkeypatch):
    from coordination.flows.annual_report import annual_report
    from tests.flows.test_flows import run_whole_cycle

    monkeypatch.setenv("COORDINATION_REPORTS_DIR", str(tmp_path))
    run_whole_cycle(sqlite_url, example_data)
    [report] = annual_report(2026)  # one per leadership group, for its area
    figures = report["indicators"]
    # every case of the example is Norrby's, Sigge's too (the health centre reported him as well as
    # the children's clinic); a case another area's signals opened is left out (test_earned_relationships)
    assert figures["sips_created"] == 15 and figures["sips_revised"] == 10
    assert figures["cases_opened"] == 19 and figures["cases_closed"] == 4
    assert figures["follow_ups"] == 14 and figures["follow_ups_on_time_percent"] is not None
    from coordination.persistence.engine import unit_of_work
    from coordination.usecases.reports import annual_indicators
    with unit_of_work(read_only=True) as s:
        assert annual_indicators(s, 2026)["sips_created"] == 15  # the whole region
    assert figures["median_days_identification_to_sip"] == 0 and figures["leadership_meetings_held"] == 0
    plan = {p["measure"]: p for p in report["action_plan"]}
    assert plan["median_days_identification_to_sip"]["met"] is True and plan["leadership_meetings_held"]["met"] is False
    assert report["warnings"] == ["team norrby: the leadership group met fewer than 2 times in 2026 H1",
                                  "team norrby: the leadership group met fewer than 2 times in 2026 H2"]
    written = json.loads((tmp_path / "annual-report-norrby-2026.json").read_text())
    assert written["indicators"]["sips_created"] == 15 and written["action_plan"] == report["action_plan"]
