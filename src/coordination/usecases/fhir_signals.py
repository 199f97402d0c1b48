"""Signals from the journal systems: a FHIR transaction Bundle of Encounters (an emergency visit,
a visit to the health centre, a discharge from hospital, a readmission) and Flags (a risk, a
concern) becomes signals for the morning's identification, so that it screens what the journal
system already knows. Idempotent by each resource's own identifier; all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from coordination.domain import fhir
from coordination.domain.calendar import local_date
from coordination.domain.personnummer import parse as parse_personnummer
from coordination.domain.vocabulary import SignalKind
from coordination.errors import InvalidInput
from coordination.persistence.models import Person, SignalRecord, UnregisteredSignal
from coordination.usecases.common import audit
from coordination.usecases.fhir_clients import Caller

SIGNAL_KIND = "https://coordination.example.se/fhir/CodeSystem/signal-kind"  # a Flag's code: a signal kind
READMISSION_WINDOW = dt.timedelta(days=30)  # an admission this soon after a discharge is a readmission


@dataclass(frozen=True)
class Incoming:
    source: str  # the sending client's and the resource's identifier
    personnummer: str  # canonical
    kind: SignalKind | None  # None: an admission that is no readmission (nothing to screen yet)
    occurred_on: dt.date


def _bad(index: int, path: str, what: str, hint: str) -> InvalidInput:
    return InvalidInput(what, record="Bundle", field=f"Bundle.entry[{index}].resource.{path}", hint=hint)


def _date(value: Any, index: int, path: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise _bad(index, path, f"'{value}' is not a date", "give the date as YYYY-MM-DD") from None


def read_entry(index: int, entry: Any, caller: Caller, *, today: dt.date) -> tuple[Incoming, str]:
    """One entry of the Bundle, checked: (what it says, its resource type)."""
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict) or resource.get("resourceType") not in ("Encounter", "Flag"):
        raise _bad(index, "resourceType", "is not an Encounter or a Flag", "send Encounters and Flags only")
    if (entry.get("request") or {}).get("method") != "POST":
        raise InvalidInput("is not POST", record="Bundle", field=f"Bundle.entry[{index}].request.method",
                           hint="each entry is created with POST")
    kind_of = resource["resourceType"]
    identifiers = resource.get("identifier") or []
    first = identifiers[0] if identifiers and isinstance(identifiers[0], dict) else {}
    if not first.get("system") or not first.get("value"):
        raise _bad(index, "identifier", "is missing", "give the resource's own identifier: the same one sent "
                   "again is the same signal")
    subject = (resource.get("subject") or {}).get("identifier") or {}
    if subject.get("system") not in (fhir.PERSONNUMMER, fhir.SAMORDNINGSNUMMER) or not subject.get("value"):
        raise _bad(index, "subject.identifier", "is not a personnummer or samordningsnummer",
                   f"name the person as {{system: {fhir.PERSONNUMMER}, value: YYYYMMDDNNNN}}")
    digits = str(subject["value"]).replace("-", "")
    number = parse_personnummer(f"{digits[:8]}-{digits[8:]}" if len(digits) == 12 else digits, today=today,
                                record=f"Bundle.entry[{index}]")
    period = resource.get("period") or {}
    kind: SignalKind | None
    if kind_of == "Flag":
        codes = [c.get("code") for c in ((resource.get("code") or {}).get("coding") or [])
                 if isinstance(c, dict) and c.get("system") == SIGNAL_KIND]
        if not codes or codes[0] not in {k.value for k in SignalKind}:
            raise _bad(index, "code", "names no signal kind", f"code the Flag in {SIGNAL_KIND}: "
                       + ", ".join(k.value for k in SignalKind))
        kind, occurred = SignalKind(codes[0]), _date(period.get("start"), index, "period.start")
    else:
        klass = (resource.get("class") or {}).get("code")
        status = resource.get("status")
        if klass == "EMER":
            kind, occurred = SignalKind.EMERGENCY_VISIT, _date(period.get("start"), index, "period.start")
        elif klass == "AMB":
            kind, occurred = SignalKind.HEALTH_CENTRE_VISIT, _date(period.get("start"), index, "period.start")
        elif klass in ("IMP", "ACUTE") and status == "finished":
            kind, occurred = SignalKind.HOSPITAL_DISCHARGE, _date(period.get("end"), index, "period.end")
        elif klass in ("IMP", "ACUTE"):
            kind, occurred = None, _date(period.get("start"), index, "period.start")  # decided below
        else:
            raise _bad(index, "class", f"'{klass}' is not an emergency, ambulatory or inpatient encounter",
                       "send class EMER, AMB or IMP")
    if occurred > today:
        raise _bad(index, "period", f"{occurred} is in the future", "send what has happened")
    return Incoming(f"{caller.client_id}|{first['system']}|{first['value']}", number.canonical, kind, occurred), kind_of


def receive(session: Session, caller: Caller, bundle: Any, *, now: dt.datetime) -> dict:
    """The transaction: every entry checked before any is written (a bad one refuses the whole
    Bundle, naming its element); then each new one kept as a signal (or, for a person nobody
    registered yet, until they are); one sent before is answered as it was."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        raise InvalidInput("is not a transaction Bundle", record="Bundle", field="Bundle.type",
                           hint="send a Bundle of type transaction")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or not 1 <= len(entries) <= 1000:
        raise InvalidInput("holds no entries, or more than 1000", record="Bundle", field="Bundle.entry",
                           hint="send 1 to 1000 entries at a time")
    today = local_date(now)
    incoming = [read_entry(i, e, caller, today=today) for i, e in enumerate(entries)]
    responses: list[dict[str, Any]] = []
    for item, _ in incoming:
        known = session.exec(select(SignalRecord.id).where(col(SignalRecord.source) == item.source)).first() \
            or session.exec(select(UnregisteredSignal.id).where(col(UnregisteredSignal.source) == item.source)).first()
        if known:
            responses.append({"response": {"status": "200 OK"}})  # sent before: the same signal
            continue
        person = session.exec(select(Person).where(col(Person.personnummer) == item.personnummer)).first()
        kind = item.kind or _readmission(session, person, item.occurred_on)
        if kind is None:  # an admission, no discharge before it: nothing for identification to screen
            responses.append({"response": {"status": "200 OK", "outcome": fhir.outcome(
                "informational", "an admission becomes a signal when the person is discharged, or as a "
                "readmission within 30 days of a discharge")}})
            continue
        if person is not None:
            row: SignalRecord | UnregisteredSignal = SignalRecord(
                person_id=person.id, kind=kind, occurred_on=item.occurred_on, organisation_id=caller.organisation_id,
                source=item.source)
        else:  # kept until the person is registered, as a member's signal is
            row = UnregisteredSignal(personnummer=item.personnummer, kind=kind, occurred_on=item.occurred_on,
                                     organisation_id=caller.organisation_id, reported_at=now, source=item.source)
        session.add(row)
        session.flush()
        audit(session, caller.actor, "report", "signal", row.id, now=now, person_id=person.id if person else None)
        responses.append({"response": {"status": "201 Created"}})
    return {"resourceType": "Bundle", "type": "transaction-response", "entry": responses}


def _readmission(session: Session, person: Person | None, admitted: dt.date) -> SignalKind | None:
    if person is None:
        return None
    discharged = session.exec(select(col(SignalRecord.occurred_on)).where(
        col(SignalRecord.person_id) == person.id, col(SignalRecord.kind) == SignalKind.HOSPITAL_DISCHARGE,
        col(SignalRecord.occurred_on) <= admitted,
        col(SignalRecord.occurred_on) >= admitted - READMISSION_WINDOW)).first()
    return SignalKind.READMISSION if discharged else None
