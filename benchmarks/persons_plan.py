"""The person's own SIP as PDF: what a member waits for after "PDF in Swedish", against a
hand-written floor that prints the same plan.

    .venv/bin/python benchmarks/persons_plan.py --database sqlite|postgresql

Loads the example area, plans every case that has a handover, and prints for Gustav's plan:
  floor_s     four plain queries for the same facts, an f-string page, and WeasyPrint: what any
              PDF of this plan costs at the least;
  job_s       the use case (the policy, the plan, the audit), the page template and WeasyPrint,
              in this warm process;
  first_s     the first PDF a freshly started `coordination web` serves (WeasyPrint's fonts and
              CSS engine load then);
  http_p50_s  then the median of ten whole HTTP requests for the PDF on loopback.
Best of five for the in-process figures. The last line is one JSON object."""

from __future__ import annotations

import argparse
import html
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402

from sweep import migrated_database  # noqa: E402
from workspace import serve  # noqa: E402

from coordination.domain.calendar import now_utc  # noqa: E402
from coordination.entrypoints.importer import SECTIONS, import_data, load_file  # noqa: E402
from coordination.persistence.models import CareCase  # noqa: E402
from coordination.persistence.engine import get_engine, unit_of_work  # noqa: E402
from coordination.usecases import acting, identify, persons_plan, planning, signin  # noqa: E402
from coordination.usecases.common import Actor, member_by_code, person_by_personnummer  # noqa: E402

EXAMPLES = ROOT / "src" / "coordination" / "examples"
GUSTAV = "19380214-2012"
SYSTEM = Actor("bench")


def prepare(now) -> str:
    data = {}
    for name in ("area.yaml", "handovers.yaml"):
        for section, rows in load_file(EXAMPLES / name).items():
            data.setdefault(section, []).extend(rows)
    with unit_of_work() as s:
        import_data(s, SYSTEM, data, now=now,
                    sections=tuple(x for x in SECTIONS if x not in ("assessments", "follow_ups")))
    with unit_of_work() as s:
        identify.identify(s, SYSTEM, now=now)
    with unit_of_work() as s:
        import_data(s, SYSTEM, data, now=now, sections=("assessments",))
    with unit_of_work() as s:
        person = person_by_personnummer(s, GUSTAV, today=now.date())
        case = s.exec(select(CareCase).where(CareCase.person_id == person.id)).one()
        planning.accept_assessment(s, SYSTEM, case=case, now=now)
        planning.plan_from_assessment(s, SYSTEM, case=case, now=now)
        acting.dispatch_actions(s, SYSTEM, case=case, now=now)
        return case.number


def floor_pdf(url: str, number: str) -> bytes:
    """The same plan by hand: plain SQL, an f-string page, WeasyPrint."""
    from weasyprint import HTML

    with get_engine(url).connect() as c:
        case_id, person_id, contact_id = c.execute(text(
            "SELECT id, person_id, fixed_care_contact_id FROM care_case WHERE number = :n"), {"n": number}).one()
        sip = c.execute(text("SELECT id, version, what_matters, plan_b, next_follow_up, coordinator_id FROM sip "
                             "WHERE case_id = :c AND current"), {"c": case_id}).one()
        people = {r[0]: r[1:] for r in c.execute(text(
            "SELECT m.id, m.name, m.phone, o.name FROM member m JOIN organisation o ON o.id = m.organisation_id"))}
        steps = c.execute(text("SELECT description, responsible_id, due_date FROM action WHERE case_id = :c "
                               "AND status IN ('planned', 'assigned') ORDER BY due_date, id"), {"c": case_id}).all()
    e = html.escape
    page = (f"<html lang='sv'><body><h1>Min samordnade individuella plan (SIP)</h1><p>{number} v{sip[1]}</p>"
            f"<h2>Det här är viktigt för mig</h2><p>{e(sip[2])}</p><h2>Vem gör vad, och när</h2><ul>"
            + "".join(f"<li>{e(d)}: {e(people[r][0])}, {e(people[r][2])}, {due}</li>" for d, r, due in steps)
            + f"</ul><h2>Vem du kontaktar</h2><p>{e(people[sip[5]][0])}, telefon {e(people[sip[5]][1] or '')}</p>"
            f"<p>{e(people[contact_id][0])}</p><h2>Plan B</h2><p>{e(sip[3] or '')}</p>"
            f"<h2>Nästa uppföljning</h2><p>{sip[4]}</p></body></html>")
    return HTML(string=page).write_pdf()


def job_pdf(number: str, member_id: int) -> bytes:
    """The workspace's own path, in this process: the use case, the template, WeasyPrint."""
    from starlette.requests import Request

    from coordination.entrypoints.web import render
    from coordination.i18n import Texts
    from coordination.usecases.common import case_by_number

    with unit_of_work() as s:
        plan = persons_plan.persons_plan(s, Actor("hc-dsk1", member_id), case=case_by_number(s, number),
                                         now=now_utc())
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})
    page = render.page(request, "persons_plan.html", Texts("sv"), None, plan=plan)
    return render.pdf(page.body.decode("utf-8"))


def best(work, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    os.environ["COORDINATION_WEB_URL"] = f"http://127.0.0.1:{args.port}"
    with migrated_database(args.database) as url:
        now = now_utc()
        number = prepare(now)
        with unit_of_work() as s:
            member = member_by_code(s, "hc-dsk1")
            member_id = member.id
            token = signin.open_session(s, member, now=now, how="bench")
        assert floor_pdf(url, number)[:4] == b"%PDF" and job_pdf(number, member_id)[:4] == b"%PDF"
        figures = {"database": args.database, "floor_s": round(best(lambda: floor_pdf(url, number)), 3),
                   "job_s": round(best(lambda: job_pdf(number, member_id)), 3)}
        server = serve(args.port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", cookies={"coord_session": token},
                              timeout=120) as client:
                waits = []
                for _ in range(11):
                    started = time.perf_counter()
                    response = client.get(f"/cases/{number}/sip/person?format=pdf")
                    waits.append(time.perf_counter() - started)
                    assert response.status_code == 200 and response.content[:4] == b"%PDF", (
                        response.status_code, response.headers.get("location"), response.text[:300])
        finally:  # SIGTERM: uvicorn stops its workers too (a SIGKILL would orphan them on the port)
            server.terminate()
            server.wait(timeout=30)
        figures |= {"first_s": round(waits[0], 3), "http_p50_s": round(statistics.median(waits[1:]), 3)}
    print(f"{figures['database']}: floor {figures['floor_s']} s, job {figures['job_s']} s, "
          f"first request {figures['first_s']} s, then p50 {figures['http_p50_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
