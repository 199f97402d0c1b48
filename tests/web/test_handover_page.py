"""The case page shows the whole handover (Bilaga 2) in Swedish: the doctor's order, the boxes, the
relatives' need of support, a seriously ill child, and who asked for coordination."""

from __future__ import annotations

from coordination.persistence.engine import unit_of_work
from coordination.usecases import planning, queries
from tests.conftest import ADMIN, T0
from tests.usecases.test_cycle import case_of, open_and_plan
from tests.usecases.test_sbar_bilaga_2 import SIGGE, submit
from tests.web.test_security import signed_in


def test_the_case_page_shows_the_doctors_order_in_swedish(workspace, sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    submit(SIGGE, doctor_order="Furosemid 20 mg x 1", medication_list_current=True)
    with unit_of_work() as s:
        planning.accept_assessment(s, ADMIN, case=case_of(s, SIGGE), now=T0)
        number = case_of(s, SIGGE).number
    page = signed_in(workspace, "bkl-ssk").get(f"/cases/{number}").text
    assert "Läkarordination" in page and "Furosemid 20 mg x 1" in page
    assert "Aktuell läkemedelslista bifogad" in page and "Svårt sjukt barn" in page


def test_the_relatives_need_of_support_is_kept_with_the_assessment_and_shown(workspace, sqlite_url, example_data):
    open_and_plan(sqlite_url, example_data)
    submit(SIGGE, relatives_support_need="Mamman behöver avlastning nattetid")
    with unit_of_work() as s:
        planning.accept_assessment(s, ADMIN, case=case_of(s, SIGGE), now=T0)
        number = case_of(s, SIGGE).number
        shown = queries.case_record(s, ADMIN, number, now=T0)["assessment"]
    assert shown["relatives_support_need"] == "Mamman behöver avlastning nattetid"
    page = signed_in(workspace, "bkl-ssk").get(f"/cases/{number}").text
    assert "Närståendes behov av stöd och avlastning" in page and "avlastning nattetid" in page
    assert "Samordning begärd av" in page and "identifiering" in page
