"""A meeting invitation reads well: Swedish, the digital link, and the meeting as an .ics
attachment that calendars import; the reminder carries no attachment."""

from __future__ import annotations

import email

import icalendar
import pendulum
from sqlmodel import select

from coordination.config.teams import find_series, load_teams
from coordination.notifications.delivery import deliver_pending
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import Outbox
from coordination.usecases.team_meeting_agenda import prepare_meeting
from tests.conftest import ADMIN, ROOT, load_area
from tests.notifications.test_delivery import set_targets
from tests.receivers import SmtpReceiver

SUNDAY = pendulum.datetime(2026, 11, 29, 13, tz="Europe/Stockholm").in_timezone("UTC")


def prepare(step, now):
    team, series = find_series(load_teams(ROOT / "deployments" / "teams.yaml"), "norrby", "norrby-weekly")
    with unit_of_work() as s:
        return prepare_meeting(s, ADMIN, team=team, series=series, now=now, step=step)


def test_the_invitation_carries_the_meeting_as_an_ics_attachment(sqlite_url, example_data):
    load_area(sqlite_url, example_data)
    with SmtpReceiver() as smtp:
        set_targets({"hsv-ssk1": [smtp.url("ssk@example.org")]})
        assert prepare("prepare", SUNDAY).invited == 9
        deliver_pending(now=SUNDAY)
        [mail] = smtp.messages
    parsed = email.message_from_string(mail["data"])
    [ics] = [p for p in parsed.walk() if (p.get_filename() or "").endswith(".ics")]
    event = next(c for c in icalendar.Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT"))
    start = event.decoded("dtstart")
    assert (start.date().isoformat(), start.strftime("%H:%M")) == ("2026-12-01", "13:00")
    assert str(event["summary"]) == "Samordningsmöte: Samordningsteam Norrby"
    assert "https://meet.example.org/norrby-samordning" in str(event["location"])
    text = "\n".join(p.get_payload(decode=True).decode() for p in parsed.walk()
                     if p.get_content_type() == "text/plain")
    assert "Du är kallad till samordningsmötet" in text
    with unit_of_work() as s:
        reminder_rows_before = len(s.exec(select(Outbox).where(Outbox.kind == "meeting_reminder")).all())
    prepare("remind", pendulum.datetime(2026, 12, 1, 11, tz="Europe/Stockholm").in_timezone("UTC"))
    with unit_of_work() as s:
        reminders = s.exec(select(Outbox).where(Outbox.kind == "meeting_reminder")).all()
    assert len(reminders) > reminder_rows_before and all(r.attachment is None for r in reminders)
