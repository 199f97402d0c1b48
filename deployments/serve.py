"""Deployments as code: the scheduled flows, served by one process in embedded mode.

Schedules are cron expressions in Europe/Stockholm, so 07:00 stays 07:00 across daylight
saving time. Parameters hold nothing but flags: every run reads its work from the database."""

from __future__ import annotations

from prefect import serve
from prefect.schedules import Cron

from coordination.config import load_notifications
from coordination.domain.calendar import TIMEZONE
from flows.follow_up_sweep import follow_up_sweep
from flows.identify import identify

IDENTIFY_SCHEDULE = "30 6 * * 1-5"  # screen new signals before the morning sweep


def deployments():
    config = load_notifications()  # a bad file stops here, before anything is deployed
    return [
        follow_up_sweep.to_deployment(name="follow-up-sweep",
                                      schedules=[Cron(config.sweep.schedule, timezone=TIMEZONE)]),
        identify.to_deployment(name="identify", schedules=[Cron(IDENTIFY_SCHEDULE, timezone=TIMEZONE)]),
    ]


def serve_all() -> None:
    serve(*deployments())
