"""The FHIR R4 API as a region's journal system uses it: registered for its organisation, it signs
in as SMART Backend Services (a private_key_jwt assertion), finds the person with POST _search,
and reads the SIP as a CarePlan with everything it refers to. Every resource validates against
the R4 definitions (@medplum/core, offline). A system whose organisation takes no part, a bad or
replayed assertion, and no token are refused; every read is audited as the organisation's system."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlmodel import select
from typer.testing import CliRunner

from coordination.entrypoints.cli import app
from coordination.persistence.engine import unit_of_work
from coordination.persistence.models import AuditEvent
from tests.web.test_journey import GUSTAV, case_of, planned

HERE = Path(__file__).parent
SEARCH = "urn:oid:1.2.752.129.2.1.3.1|" + GUSTAV.replace("-", "")


def validator_installed() -> bool:
    """@medplum/core and its R4 definitions, from the npm registry as package-lock.json pins them:
    installed here on first use, so the README's test command needs nothing done by hand."""
    if (HERE / "node_modules" / "@medplum" / "core").exists():
        return True
    if not (shutil.which("node") and shutil.which("npm")):
        return False
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True,
                          timeout=600)
    return done.returncode == 0


def validate(resources: list[dict], tmp_path) -> dict[str, list[str]]:
    """Each resource's issues by the R4 definitions (none when valid)."""
    if not validator_installed():
        reason = "the FHIR validator could not be installed (Node.js and npm, then npm ci in tests/fhir)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(resources), encoding="utf-8")
    done = subprocess.run(["node", "validate.mjs", str(path)], cwd=HERE, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    return {f"{i}:{r['type']}/{r.get('id')}": r["issues"] for i, r in enumerate(lines)}


def register(tmp_path, client_id: str, organisation: str) -> ECKey:
    key = ECKey.generate_key("P-384", parameters={"kid": client_id, "alg": "ES384"}, private=True)
    jwks = tmp_path / f"{client_id}.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    result = CliRunner().invoke(app, ["fhir-client", client_id, "--organisation", organisation, "--jwks", str(jwks)])
    assert result.exit_code == 0, (result.output, result.exception)
    return key


def assertion(workspace, client_id: str, key: ECKey, **claims) -> str:
    now = int(workspace.now().timestamp())
    body = {"iss": client_id, "sub": client_id, "aud": f"{workspace.url}/fhir/R4/auth/token", "exp": now + 240,
            "jti": str(uuid.uuid4())} | claims
    return jwt.encode({"alg": "ES384", "kid": key.kid}, body, key, algorithms=["ES384"])


def sign_in(workspace, signed: str) -> httpx.Response:
    return httpx.post(f"{workspace.url}/fhir/R4/auth/token", data={
        "grant_type": "client_credentials", "scope": "system/*.read",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": signed})


def client(workspace, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{workspace.url}/fhir/R4", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_journal_system_reads_the_sip_it_takes_part_in_and_every_resource_validates(workspace_on, db_url,
                                                                                     example_data, tmp_path, caplog):
    from coordination.usecases import sip_meeting
    from coordination.usecases.common import actor_for

    workspace = workspace_on
    planned(db_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
        sip_meeting.schedule(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV), place="Hemma hos Gustav, Granvägen",
                             when=workspace.now().add(days=3), now=workspace.now())
    from coordination.usecases import revising

    with unit_of_work() as s:  # a second version, for the history
        revising.revise_sip(s, actor_for(s, "hc-dsk1"), case=case_of(s, GUSTAV), now=workspace.now(),
                            what_matters="Att klara mig hemma med min hund, och att orka gå ut")
    caplog.set_level("DEBUG")
    key = register(tmp_path, "hc-journal", "hc-norrby")  # the health centre takes part in Gustav's plan
    signed = assertion(workspace, "hc-journal", key)
    issued = sign_in(workspace, signed)
    assert issued.status_code == 200, issued.text
    assert issued.json()["token_type"] == "bearer" and issued.json()["expires_in"] == 300
    api = client(workspace, issued.json()["access_token"])

    found = api.post("/Patient/_search", data={"identifier": SEARCH})
    assert found.status_code == 200 and found.headers["content-type"].startswith("application/fhir+json")
    [patient] = [e["resource"] for e in found.json()["entry"]]
    assert patient["identifier"] == [{"system": "urn:oid:1.2.752.129.2.1.3.1", "value": GUSTAV.replace("-", "")}]
    assert "address" not in patient and "telecom" not in patient

    everything = api.get(f"/CarePlan/{number}/$everything")
    assert everything.status_code == 200, everything.text
    resources = [e["resource"] for e in everything.json()["entry"]]
    kinds = {r["resourceType"] for r in resources}
    assert {"CarePlan", "Patient", "CareTeam", "Task", "Practitioner", "Organization", "Consent", "Appointment",
            "Provenance"} <= kinds
    assert "Hemma" not in everything.text and "Granvägen" not in everything.text  # never the meeting's place
    [plan] = [r for r in resources if r["resourceType"] == "CarePlan"]
    assert plan["category"][0]["coding"][0]["code"] == "SIP" and plan["status"] == "active"
    tasks = [r for r in resources if r["resourceType"] == "Task"]
    assert tasks and all(t["basedOn"] == [{"reference": f"CarePlan/{number}"}] for t in tasks)
    assert any("restriction" in t for t in tasks)  # the due date from the handling time
    history = api.get(f"/CarePlan/{number}/_history").json()
    check_against_the_record(number, resources, history)
    metadata = httpx.get(f"{workspace.url}/fhir/R4/metadata").json()
    issues = validate(resources + [found.json(), everything.json(), history, metadata], tmp_path)
    assert issues and all(v == [] for v in issues.values()), {k: v for k, v in issues.items() if v}

    with unit_of_work(read_only=True) as s:
        reads = [e.record_id for e in s.exec(select(AuditEvent).where(AuditEvent.actor == "system:fhir:hc-journal"))]
    assert f"{number} everything" in reads and "identifier" in reads  # every read, as the organisation's system
    for url in [str(r.url) for r in (found, everything)]:
        assert GUSTAV not in url and GUSTAV.replace("-", "") not in url  # never an identity number in a URL
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert GUSTAV not in logged and GUSTAV.replace("-", "") not in logged  # nor in the server's log


def check_against_the_record(number: str, resources: list[dict], history: dict) -> None:
    """The resources say what the database holds: the coordinator and participants, every
    action with its due date, each consent's period, every SIP version."""
    from coordination.persistence.models import Action, Consent, Member, Sip, SipParticipant

    by_type: dict[str, list[dict]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    with unit_of_work(read_only=True) as s:
        case = case_of(s, GUSTAV)
        sips = s.exec(select(Sip).where(Sip.case_id == case.id).order_by(Sip.version)).all()
        current = [x for x in sips if x.current][0]
        taking_part = {m.code for m in s.exec(select(Member).join(SipParticipant, SipParticipant.member_id == Member.id)
                                              .where(SipParticipant.sip_id == current.id))}
        coordinator = s.get(Member, case.coordinator_id).code
        actions = {str(a.id): a for a in s.exec(select(Action).where(Action.case_id == case.id))}
        consents = {str(c.id): c for c in s.exec(select(Consent).where(Consent.person_id == case.person_id))}
    [team] = by_type["CareTeam"]
    members = {p["member"]["reference"].split("/")[1]: [r["text"] for r in p["role"]] for p in team["participant"]
               if p["member"]["reference"].startswith("Practitioner/")}
    assert set(members) == taking_part and "Samordningsansvarig" in members[coordinator]
    assert {t["id"] for t in by_type["Task"]} == set(actions)
    for t in by_type["Task"]:
        due = actions[t["id"]].due_date
        assert t.get("restriction", {}).get("period", {}).get("end") == (due.isoformat() if due else None)
    assert {c["id"] for c in by_type["Consent"]} == set(consents)
    for c in by_type["Consent"]:
        assert c["provision"]["period"]["start"] == consents[c["id"]].valid_from.isoformat()
    [plan] = by_type["CarePlan"]
    assert plan["meta"]["versionId"] == str(current.version) and plan["description"] == current.what_matters
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == [str(x.version) for x in reversed(sips)]
    assert len(by_type["Provenance"]) == len(sips) >= 2


def test_a_system_that_takes_no_part_a_bad_assertion_and_no_token_are_refused(workspace, sqlite_url, example_data,
                                                                           tmp_path):
    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number = case_of(s, GUSTAV).number
    key = register(tmp_path, "bkl-journal", "bkl-region")  # the children's clinic: no part in Gustav's plan
    stranger = client(workspace, sign_in(workspace, assertion(workspace, "bkl-journal", key)).json()["access_token"])
    refused = stranger.get(f"/CarePlan/{number}/$everything")
    assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
    assert "Gustav" not in refused.text
    nothing = stranger.post("/Patient/_search", data={"identifier": SEARCH}).json()
    assert nothing["total"] == 0 and nothing["entry"] == []  # the same answer as for an unknown person
    assert stranger.post("/Patient/_search", data={"identifier": "urn:oid:1.2.752.129.2.1.3.1|191212121212"}
                         ).json()["total"] == 0
    bad = stranger.post("/Patient/_search", data={"identifier": "urn:x|1"})
    assert bad.status_code == 400 and bad.json()["issue"][0]["expression"] == ["identifier"]

    other = ECKey.generate_key("P-384", parameters={"kid": "bkl-journal", "alg": "ES384"}, private=True)
    signed = assertion(workspace, "bkl-journal", key)
    assert sign_in(workspace, signed).status_code == 200
    assert sign_in(workspace, signed).json() == {"error": "invalid_client"}  # an assertion is used once
    assert sign_in(workspace, assertion(workspace, "bkl-journal", other)).status_code == 401  # not its key
    assert sign_in(workspace, assertion(workspace, "bkl-journal", key, exp=int(workspace.now().timestamp()) - 5)
                   ).status_code == 401  # expired
    assert sign_in(workspace, assertion(workspace, "bkl-journal", key, aud="https://elsewhere/token")
                   ).status_code == 401
    assert sign_in(workspace, assertion(workspace, "nobody", key)).status_code == 401  # not registered
    anonymous = httpx.get(f"{workspace.url}/fhir/R4/CarePlan/{number}")
    assert anonymous.status_code == 401 and "Bearer" in anonymous.headers["www-authenticate"]
    with unit_of_work(read_only=True) as s:
        refusals = s.exec(select(AuditEvent).where(AuditEvent.actor == "system:fhir:bkl-journal",
                                                   AuditEvent.action.startswith("refused:"))).all()
    assert len(refusals) == 1  # the refused read, for the log review


def test_registering_a_client_names_what_is_wrong_and_writes_nothing(sqlite_url, example_data, tmp_path):
    from coordination.errors import InvalidInput
    from coordination.persistence.models import FhirClient
    from tests.conftest import load_area

    load_area(sqlite_url, example_data)
    private = ECKey.generate_key("P-384", private=True)
    cases = {"nowhere": ({"keys": [private.as_dict(private=False)]}, "organisation"),
             "hc-norrby": ({"keys": [private.as_dict(private=True)]}, "jwks")}
    for organisation, (keys, field) in cases.items():
        path = tmp_path / "k.json"
        path.write_text(json.dumps(keys))
        result = CliRunner().invoke(app, ["fhir-client", "x", "--organisation", organisation, "--jwks", str(path)])
        assert isinstance(result.exception, InvalidInput) and result.exception.field == field
    with unit_of_work(read_only=True) as s:
        assert s.exec(select(FhirClient)).all() == []


def test_the_owners_system_reports_a_task_under_way_and_done_and_nothing_else(workspace, sqlite_url, example_data,
                                                                            tmp_path):
    """The nurse's municipality reports her action in progress, then completed with a note: the
    action is done as `action done` makes it. Another organisation, another field or another
    status is refused with the element named, and nothing is written."""
    from coordination.persistence.models import Action, Member, Organisation

    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        case = case_of(s, GUSTAV)
        action, owner_org = next((a, o.code) for a, m, o in s.exec(
            select(Action, Member, Organisation).where(Action.case_id == case.id, Action.responsible_id == Member.id,
                                                       Member.organisation_id == Organisation.id)))
        action_id = action.id
    owner = register(tmp_path, "owner-system", owner_org)
    api = client(workspace, sign_in(workspace, assertion(workspace, "owner-system", owner)).json()["access_token"])
    read = api.get(f"/Task/{action_id}").json()
    assert read["status"] in ("requested", "accepted")

    def put(resource: dict) -> httpx.Response:
        return api.put(f"/Task/{action_id}", json=resource)

    assert put(read | {"status": "in-progress"}).json()["status"] == "accepted"
    for change, element in ((read | {"status": "on-hold"}, "Task.status"),
                            (read | {"status": "completed", "description": "Något annat"}, "Task.description")):
        refused = put(change)
        assert refused.status_code == 400 and refused.json()["issue"][0]["expression"] == [element]
    done = put(read | {"status": "completed", "note": [{"text": "Vikt kontrollerad, 71 kg"}]})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    issues = validate([read, done.json()], tmp_path)  # the Task as read and as written back
    assert all(v == [] for v in issues.values()), issues
    with unit_of_work(read_only=True) as s:
        stored = s.get(Action, action_id)
        assert str(stored.status) == "done" and stored.completion_note == "Vikt kontrollerad, 71 kg"
        assert stored.completed_by_id is None  # the organisation's system, audited as such
        assert s.exec(select(AuditEvent).where(AuditEvent.actor == "system:fhir:owner-system",
                                               AuditEvent.action == "complete")).one()
    from coordination.config.notifications import SweepPolicy
    from coordination.persistence.models import SweepNotice
    from coordination.usecases.sweep import sweep

    with unit_of_work() as s:  # the next sweeps tell no one about it, as after `action done`
        for days in (1, 10, 30):
            sweep(s, now=workspace.now().add(days=days), policy=SweepPolicy())
        assert not s.exec(select(SweepNotice).where(SweepNotice.item_kind == "action",
                                                    SweepNotice.item_id == action_id)).all()
    other_org = "rehab-norrby" if owner_org != "rehab-norrby" else "hsv-norrby"
    key = register(tmp_path, "other-system", other_org)
    other = client(workspace, sign_in(workspace, assertion(workspace, "other-system", key)).json()["access_token"])
    assert other.put(f"/Task/{action_id}", json=read | {"status": "in-progress"}).status_code == 403


def encounter(ident: str, pnr: str, klass: str, status: str = "finished", start: str = "2026-11-15",
              end: str | None = "2026-11-16") -> dict:
    resource = {"resourceType": "Encounter", "identifier": [{"system": "urn:oid:1.2.752.129.2.1.2.1", "value": ident}],
                "status": status, "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
                "subject": {"identifier": {"system": "urn:oid:1.2.752.129.2.1.3.1", "value": pnr.replace("-", "")}},
                "period": {"start": start} | ({"end": end} if end else {})}
    return {"resource": resource, "request": {"method": "POST", "url": "Encounter"}}


def test_the_journal_systems_encounters_and_flags_become_signals_once(workspace, sqlite_url, example_data, tmp_path):
    from coordination.persistence.models import SignalRecord, UnregisteredSignal
    from coordination.usecases.fhir_signals import SIGNAL_KIND
    from tests.conftest import load_area

    load_area(sqlite_url, example_data)
    kjell = "19551028-7195"  # one emergency visit in the example, no case
    key = register(tmp_path, "hc-journal", "hc-norrby")
    api = client(workspace, sign_in(workspace, assertion(workspace, "hc-journal", key)).json()["access_token"])
    flag = {"resource": {"resourceType": "Flag", "identifier": [{"system": "urn:x-journal:flag", "value": "f-1"}],
                         "status": "active", "code": {"coding": [{"system": SIGNAL_KIND, "code": "senior_alert_risk"}]},
                         "subject": {"identifier": {"system": "urn:oid:1.2.752.129.2.1.3.1",
                                                    "value": kjell.replace("-", "")}},
                         "period": {"start": "2026-11-14"}},
            "request": {"method": "POST", "url": "Flag"}}
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [encounter("e-1", kjell, "EMER"), encounter("e-2", kjell, "IMP"), flag,
                        encounter("e-3", "19121212-1212", "EMER")]}  # the last: a person nobody registered

    def count() -> tuple[int, int]:
        with unit_of_work(read_only=True) as s:
            return (len(s.exec(select(SignalRecord).where(SignalRecord.source != None)).all()),  # noqa: E711
                    len(s.exec(select(UnregisteredSignal)).all()))

    first = api.post(f"{workspace.url}/fhir/R4", json=bundle)
    assert first.status_code == 200, first.text
    assert [e["response"]["status"] for e in first.json()["entry"]] == ["201 Created"] * 4
    assert count() == (3, 1)
    with unit_of_work(read_only=True) as s:
        kinds = sorted(str(r.kind) for r in s.exec(select(SignalRecord).where(SignalRecord.source != None)))  # noqa: E711
    assert kinds == ["emergency_visit", "hospital_discharge", "senior_alert_risk"]
    again = api.post(f"{workspace.url}/fhir/R4", json=bundle)  # sent again: the same signals, nothing new
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 4 and count() == (3, 1)
    issues = validate([first.json(), again.json()], tmp_path)
    assert all(v == [] for v in issues.values()), issues

    bad = {"resourceType": "Bundle", "type": "transaction",
           "entry": [encounter("e-9", kjell, "EMER"), encounter("e-10", kjell, "HH")]}
    refused = api.post(f"{workspace.url}/fhir/R4", json=bad)  # one bad entry refuses the whole Bundle, naming it
    assert refused.status_code == 400
    assert refused.json()["issue"][0]["expression"] == ["Bundle.entry[1].resource.class"] and count() == (3, 1)
    future = api.post(f"{workspace.url}/fhir/R4", json={"resourceType": "Bundle", "type": "transaction",
                                "entry": [encounter("e-11", kjell, "EMER", start="2099-01-01", end=None)]})
    assert future.status_code == 400 and future.json()["issue"][0]["expression"] == ["Bundle.entry[0].resource.period"]
    assert httpx.post(f"{workspace.url}/fhir/R4", json=bundle).status_code == 401  # no token
    from coordination.usecases import identify
    from tests.conftest import ADMIN

    with unit_of_work() as s:  # the morning's identification screens what the journal system sent
        opened = identify.identify(s, ADMIN, now=workspace.now())
        case = case_of(s, kjell)
        assert case.number in opened.opened and "discharge_coordination" in case.reasons


def test_a_block_or_a_withdrawn_consent_closes_the_plan_to_a_system(workspace, sqlite_url, example_data, tmp_path):
    from coordination.persistence.models import Consent, Person
    from coordination.usecases import blocks, consent
    from coordination.usecases.common import actor_for

    planned(sqlite_url, example_data)
    with unit_of_work() as s:
        number, person_id = case_of(s, GUSTAV).number, case_of(s, GUSTAV).person_id
    key = register(tmp_path, "hc-journal", "hc-norrby")
    api = client(workspace, sign_in(workspace, assertion(workspace, "hc-journal", key)).json()["access_token"])
    assert api.get(f"/CarePlan/{number}").status_code == 200  # the control
    with unit_of_work() as s:
        block = blocks.place_block(s, actor_for(s, "hc-dsk1"), person=s.get(Person, person_id),
                                   organisation="rehab-norrby", now=workspace.now())
    blocked = api.get(f"/CarePlan/{number}")
    assert blocked.status_code == 403 and "block" in blocked.json()["issue"][0]["diagnostics"]
    with unit_of_work() as s:
        blocks.lift_block(s, actor_for(s, "hc-dsk1"), block_id=block, now=workspace.now())
    assert api.get(f"/CarePlan/{number}").status_code == 200
    with unit_of_work() as s:
        for row in s.exec(select(Consent).where(Consent.person_id == person_id)):
            consent.withdraw_consent(s, actor_for(s, "hc-dsk1"), consent_id=row.id, now=workspace.now())
    withdrawn = api.get(f"/CarePlan/{number}")
    assert withdrawn.status_code == 403 and "consent" in withdrawn.json()["issue"][0]["diagnostics"]
    with unit_of_work(read_only=True) as s:
        refused = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.actor == "system:fhir:hc-journal"))
                   if e.action.startswith("refused:")]
    assert refused == ["refused:read", "refused:read"]  # each refusal audited, for the log review


def test_every_fhir_example_in_the_readme_validates(tmp_path):
    readme = (HERE.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The FHIR R4 API", 1)[1].split("\n## ", 1)[0]
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]
    assert len(examples) >= 2
    issues = validate(examples, tmp_path)
    assert all(v == [] for v in issues.values()), issues
