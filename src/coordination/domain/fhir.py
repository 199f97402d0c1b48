"""The coordination record as FHIR R4 resources: pure functions from the record's rows (any
object with the attributes named) to resource dicts. What is left out is left out on purpose:
never an address, and for a protected identity nothing but the identifier and the birth date.

Identifiers follow HL7 Sweden's base profile: the personnummer and samordningsnummer as twelve
digits under their OIDs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

PERSONNUMMER = "urn:oid:1.2.752.129.2.1.3.1"
SAMORDNINGSNUMMER = "urn:oid:1.2.752.129.2.1.3.3"
# The plan type of Inera's national care-plan contract (GetCarePlans lists "SIP"). The code is the
# national one; the system URI is this project's until the national terminology publishes one.
PLAN_TYPE = "https://coordination.example.se/fhir/CodeSystem/care-plan-type"
AGREEMENT = "https://coordination.example.se/fhir/StructureDefinition/sip-agreement"
RESTRICTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R",
              "display": "restricted"}
TASK_STATUS = {"planned": "requested", "assigned": "accepted", "done": "completed", "cancelled": "cancelled"}
ROLES = {"coordinator": "Samordningsansvarig", "fixed_care_contact": "Fast vårdkontakt",
         "fixed_doctor": "Fast läkarkontakt", "participant": "Deltagare i SIP", "person": "Personen"}


def ref(kind: str, id_: object, display: str | None = None) -> dict:
    out: dict[str, Any] = {"reference": f"{kind}/{id_}"}
    if display:
        out["display"] = display
    return out


def instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def patient(person: Any) -> dict:
    """`person`: personnummer (YYYYMMDD-NNNN), is_coordination_number, given_name, family_name,
    birth_date, protected_identity, id."""
    resource: dict[str, Any] = {
        "resourceType": "Patient", "id": str(person.id),
        "identifier": [{"system": SAMORDNINGSNUMMER if person.is_coordination_number else PERSONNUMMER,
                        "value": person.personnummer.replace("-", "")}],
        "birthDate": person.birth_date.isoformat()}
    if person.protected_identity:
        # skyddade personuppgifter: the identifier (the receiving system already holds the person)
        # and the birth date, marked restricted; no name, no contact details
        resource["meta"] = {"security": [RESTRICTED]}
    else:
        resource["name"] = [{"family": person.family_name, "given": [person.given_name]}]
    return resource


def organization(org: Any) -> dict:
    return {"resourceType": "Organization", "id": org.code, "name": org.name, "active": True}


def practitioner(member: Any) -> dict:
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": member.code, "active": bool(member.active),
                                "name": [{"text": member.name}]}
    if member.identity:  # the HSA-id, where the region gave one
        resource["identifier"] = [{"system": "urn:oid:1.2.752.29.4.19", "value": member.identity}]
    return resource


def care_plan(case: Any, sip: Any, person_id: int, action_ids: Iterable[int], *, agreed: str | None) -> dict:
    """The SIP of the case, as the version `sip` says. `agreed`: the person's answer to this
    version at the SIP meeting (agreed | refused), or None."""
    resource: dict[str, Any] = {
        "resourceType": "CarePlan", "id": case.number, "meta": {"versionId": str(sip.version)},
        "status": "completed" if str(case.status) == "closed" else "active" if sip.current else "revoked",
        "intent": "plan",
        "category": [{"coding": [{"system": PLAN_TYPE, "code": "SIP", "display": "Samordnad individuell plan"}]}],
        "title": "SIP", "description": sip.what_matters,
        "subject": ref("Patient", person_id), "created": instant(sip.created_at),
        "period": {"start": instant(sip.created_at)},
        "careTeam": [ref("CareTeam", case.number)],
        "activity": [{"reference": ref("Task", i)} for i in action_ids]}
    notes = ([f"Plan B: {sip.plan_b}"] if sip.plan_b else []) + [f"Annan plan: {p}" for p in sip.other_plans or []]
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    if sip.next_follow_up:
        resource["period"]["end"] = sip.next_follow_up.isoformat()  # followed up (and revised) by then
    if agreed:
        resource["extension"] = [{"url": AGREEMENT, "valueCode": agreed}]
    return resource


def care_team(case: Any, person_id: int, members: Iterable[tuple[tuple[str, ...], Any, str]]) -> dict:
    """`members`: (role keys, member, organisation code) for the coordinator, the fixed contacts
    and the participants; the person takes part too."""
    participants = [{"role": [{"text": ROLES["person"]}], "member": ref("Patient", person_id)}]
    participants += [{"role": [{"text": ROLES[role]} for role in roles], "member": ref("Practitioner", m.code, m.name),
                      "onBehalfOf": ref("Organization", org)} for roles, m, org in members]
    return {"resourceType": "CareTeam", "id": case.number,
            "status": "inactive" if str(case.status) == "closed" else "active",
            "name": f"SIP {case.number}", "subject": ref("Patient", person_id), "participant": participants}


def task(action: Any, case_number: str, person_id: int, responsible_code: str, requester_code: str | None) -> dict:
    resource: dict[str, Any] = {
        "resourceType": "Task", "id": str(action.id), "status": TASK_STATUS[str(action.status)], "intent": "plan",
        "description": action.description, "basedOn": [ref("CarePlan", case_number)],
        "for": ref("Patient", person_id), "owner": ref("Practitioner", responsible_code),
        "authoredOn": instant(action.created_at)}
    if requester_code:
        resource["requester"] = ref("Practitioner", requester_code)
    if action.due_date:  # the handling time's due date
        resource["restriction"] = {"period": {"end": action.due_date.isoformat()}}
    if action.completed_at:
        resource["lastModified"] = instant(action.completed_at)
    return resource


def consent(row: Any, person_id: int, organisations: Iterable[str], *, active: bool, guardian: str | None,
            blocked: Iterable[str]) -> dict:
    """The person's consent to share: the organisations it names, its period, withdrawn or
    expired as inactive; a guardian's for a child named; each block in force a deny provision
    (the blocked organisation's information is not shared)."""
    provision: dict[str, Any] = {"type": "permit", "period": {"start": row.valid_from.isoformat()},
                                 "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                                                 "code": "IRCP"}]},
                                            "reference": ref("Organization", code)} for code in organisations]}
    if row.valid_until:
        provision["period"]["end"] = row.valid_until.isoformat()
    denied = [{"type": "deny", "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                                                "code": "CST"}]},
                                          "reference": ref("Organization", code)}]} for code in blocked]
    if denied:
        provision["provision"] = denied
    resource: dict[str, Any] = {
        "resourceType": "Consent", "id": str(row.id), "status": "active" if active else "inactive",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": ref("Patient", person_id), "dateTime": instant(row.recorded_at),
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}]},
        "provision": provision}
    if guardian:
        resource["performer"] = [{"display": guardian}]
    return resource


def appointment(meeting: Any, person_id: int, participants: Iterable[str], *, length: dt.timedelta) -> dict:
    """A SIP meeting. Never its place: staff write it in their own words, and it may be the
    person's home (or, for a protected identity or a hidden residence, locate them)."""
    held = meeting.scheduled_for
    return {"resourceType": "Appointment", "id": str(meeting.id),
            "status": "fulfilled" if meeting.recorded_at else "booked",
            "description": "SIP-möte", "start": instant(held), "end": instant(held + length),
            "participant": [{"actor": ref("Patient", person_id), "status": "accepted"}]
            + [{"actor": ref("Practitioner", code), "status": "needs-action"} for code in participants]}


def provenance(case_number: str, version: int, recorded: dt.datetime, author: str) -> dict:
    """Who made a version of the SIP: a member (a Practitioner) or the system (an import)."""
    who = {"display": author} if author.startswith("system") else ref("Practitioner", author)
    return {"resourceType": "Provenance", "id": f"{case_number}-v{version}",
            "target": [ref("CarePlan", f"{case_number}/_history/{version}")], "recorded": instant(recorded),
            "activity": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                                     "code": "CREATE" if version == 1 else "UPDATE"}]},
            "agent": [{"who": who}]}


def bundle(resources: Iterable[dict], base: str, *, kind: str = "searchset", matches: int | None = None) -> dict:
    entries: list[dict[str, Any]] = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r}
                                     for r in resources]
    if kind == "history":  # each version as the write that made it: the first created, the rest updates
        for entry in entries:
            r = entry["resource"]
            first = r.get("meta", {}).get("versionId") == "1"
            entry["request"] = {"method": "POST" if first else "PUT",
                                "url": r["resourceType"] if first else f"{r['resourceType']}/{r['id']}"}
            entry["response"] = {"status": "201 Created" if first else "200 OK"}
    out: dict[str, Any] = {"resourceType": "Bundle", "type": kind, "entry": entries}
    if kind == "searchset":
        out["total"] = len(entries) if matches is None else matches
    return out


def outcome(code: str, text: str, *, expression: str | None = None) -> dict:
    """An OperationOutcome naming what is wrong (and the element, where there is one)."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
    if expression:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
