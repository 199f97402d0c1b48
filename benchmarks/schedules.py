"""Meeting schedules at region scale: Prefect's scheduler over hundreds of RRULE deployments.

    .venv/bin/python benchmarks/schedules.py [--series 300]

Every meeting series is two deployments (prepare and remind), each an RRULE in the series'
timezone with ten years of holiday exceptions written in (flows/deployments.meeting_schedule).
Prefect's scheduler expands every schedule each loop, and RRULEs with long exception lists
are known to cost it CPU. This deploys `--series` series (half weekly, half every other week,
holidays skipped or moved, on every weekday) to a standalone `prefect server`, exactly as
`coordination deploy` does, then runs Prefect's own scheduler loop (`schedule_deployments`, the
server's service function) against that server's database and times it:
  first_s / first_cpu_s   the first loop, which schedules every deployment's runs;
  steady_s / steady_cpu_s the next loop, nothing new to schedule (what every loop costs after);
  again_s                 a loop after every scheduled run is deleted, as after a redeploy;
beside the loop's interval (PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS, 60 s by default) and
the same figures for plain weekly crons without exceptions (the shape to move to if the RRULEs
did not fit). The server's own scheduler is off meanwhile, so the loop timed is the only one.
The last line is one JSON object."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from served import PORT, standalone_server  # noqa: E402

TODAY = dt.date(2026, 11, 25)  # the exceptions are written from this day, whatever day it runs


def region(count: int):
    from coordination.domain.team_meetings import MeetingSeries

    return [MeetingSeries(id=f"area{i:03d}-coordination", team=f"area{i:03d}", weekday=i % 5,
                          start=dt.time(8 + i % 8, 30 * (i % 2)), duration_minutes=60, interval_weeks=1 + i % 2,
                          link="", rotation=(), reminder_hours=24, preparation_hours=72,
                          holiday_policy=("skip", "next_working_day")[i % 2])
            for i in range(count)]


def deploy(series, shape: str) -> float:
    """The deployments as `coordination deploy` makes them (the same flow, names and
    parameters); `shape` rrule: the product's schedules, cron: weekly crons without exceptions."""
    from prefect.schedules import Cron

    from coordination.flows.deployments import meeting_schedule
    from coordination.flows.meeting import coordination_meeting

    started = time.perf_counter()
    for s in series:
        for step, lead in (("prepare", s.preparation_hours), ("remind", s.reminder_hours)):
            if shape == "rrule":
                schedule = meeting_schedule(s, lead, today=TODAY)
            else:
                at = dt.datetime.combine(TODAY, s.start) - dt.timedelta(hours=lead)
                schedule = Cron(f"{at.minute} {at.hour} * * {(s.weekday - lead // 24) % 7 + 1}", timezone=s.timezone)
            coordination_meeting.to_deployment(name=f"{s.id}-{step}", schedules=[schedule], parameters={
                "team_id": s.team, "series_id": s.id, "step": step}).apply()
    return time.perf_counter() - started


async def scheduler_loop() -> tuple[float, float]:
    """One loop of Prefect's scheduler service: its wall and CPU seconds."""
    from prefect.server.services.scheduler import schedule_deployments

    wall, cpu = time.perf_counter(), time.process_time()
    await schedule_deployments()
    return time.perf_counter() - wall, time.process_time() - cpu


async def delete_scheduled_runs() -> None:
    from sqlalchemy import delete

    from prefect.server.database import provide_database_interface

    db = provide_database_interface()
    async with db.session_context(begin_transaction=True) as session:
        await session.execute(delete(db.FlowRun).where(db.FlowRun.state_type == "SCHEDULED"))


async def count_runs() -> int:
    from sqlalchemy import func, select

    from prefect.server.database import provide_database_interface

    db = provide_database_interface()
    async with db.session_context() as session:
        return (await session.execute(select(func.count()).select_from(db.FlowRun))).scalar_one()


def measure(series, shape: str, port: int) -> dict:
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL, PREFECT_API_URL, temporary_settings

    # the server's own scheduler is off: its loop is run here, alone, on the server's database
    with standalone_server(port, PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false") as server:
        database = f"sqlite+aiosqlite:///{server.home}/prefect.db"
        with temporary_settings(updates={PREFECT_API_URL: server.url, PREFECT_API_DATABASE_CONNECTION_URL: database}):
            deploy_s = deploy(series, shape)
            first = asyncio.run(scheduler_loop())
            steady = asyncio.run(scheduler_loop())
            asyncio.run(delete_scheduled_runs())
            again = asyncio.run(scheduler_loop())
            runs = asyncio.run(count_runs())
    from prefect.settings import get_current_settings

    loop_s = get_current_settings().server.services.scheduler.loop_seconds
    figures = {"shape": shape, "deployments": 2 * len(series), "deploy_s": round(deploy_s, 2),
               "first_s": round(first[0], 3), "first_cpu_s": round(first[1], 3),
               "steady_s": round(steady[0], 3), "steady_cpu_s": round(steady[1], 3),
               "again_s": round(again[0], 3), "runs": runs, "loop_interval_s": loop_s}
    print(f"{shape}: {figures['deployments']} deployments made in {deploy_s:.1f} s; scheduler loop "
          f"{first[0]:.2f} s first ({first[1]:.2f} s CPU), {steady[0]:.2f} s steady, {again[0]:.2f} s after a "
          f"redeploy, against its {loop_s:.0f} s interval; {runs} runs scheduled", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--port", type=int, default=PORT, help="the Prefect server's port")
    args = parser.parse_args()
    series = region(args.series)
    figures = {"rrule": measure(series, "rrule", args.port), "cron": measure(series, "cron", args.port)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
