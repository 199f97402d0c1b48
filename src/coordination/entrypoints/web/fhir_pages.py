"""The FHIR R4 API (`/fhir/R4`), for registered systems, served by the workspace's app: reads, and
narrowly writes (a Task's status, signals from Encounters and Flags).

Systems sign in as SMART Backend Services: POST `auth/token` with a `private_key_jwt` client
assertion, then send the bearer token. A personnummer is searched for with POST
`Patient/_search` (form body), so no identity number is ever in a URL, a log or a proxy's access
log. Errors are OperationOutcomes that name the element."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import JSONResponse

from coordination import settings
from coordination.domain import fhir
from coordination.entrypoints.web.deps import NowDep, transaction
from coordination.errors import AccessDenied, CoordinationError, NotFound
from coordination.usecases import fhir_clients, fhir_read, fhir_signals

router = APIRouter(prefix="/fhir/R4")
FHIR_JSON = "application/fhir+json"


def base() -> str:
    return f"{settings.web_url()}/fhir/R4"


def answer(resource: dict, status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(resource, status_code=status, media_type=FHIR_JSON,
                        headers={"Cache-Control": "no-store", **headers})


def refusal(exc: CoordinationError) -> JSONResponse:
    if isinstance(exc, AccessDenied):
        return answer(fhir.outcome("forbidden", exc.message), 403)
    if isinstance(exc, NotFound):
        return answer(fhir.outcome("not-found", str(exc), expression=exc.field), 404)
    return answer(fhir.outcome("invalid", str(exc), expression=exc.field), 400)


def caller_of(request: Request, now: dt.datetime) -> fhir_clients.Caller | None:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else None
    with transaction(read_only=True) as session:
        return fhir_clients.caller_for(session, token, now=now)


def no_token() -> JSONResponse:
    return answer(fhir.outcome("login", "a valid bearer token is required: get one at auth/token"), 401,
                  **{"WWW-Authenticate": 'Bearer realm="fhir"'})


def as_caller(request: Request, now: dt.datetime, read: Callable[..., dict], *args: Any, **kwargs: Any) -> JSONResponse:
    """The bearer token's client, then the read in one unit of work (so a refusal is audited as it
    leaves it), its answer or its OperationOutcome."""
    caller = caller_of(request, now)
    if caller is None:
        return no_token()
    try:
        with transaction() as session:
            return answer(read(session, caller, *args, now=now, **kwargs))
    except CoordinationError as exc:
        return refusal(exc)


@router.get("/metadata")
def metadata(now: NowDep) -> JSONResponse:
    return answer({
        "resourceType": "CapabilityStatement", "status": "active", "date": now.date().isoformat(),
        "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"],
        "software": {"name": "coordination"},
        "implementation": {"description": "The coordination of care at home (SIP)", "url": base()},
        "rest": [{"mode": "server", "interaction": [{"code": "transaction"}],
                  "security": {"service": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                                        "code": "SMART-on-FHIR"}]}],
                               "description": "SMART Backend Services: client credentials with private_key_jwt, "
                                              f"token endpoint {base()}/auth/token"},
                  "resource": [{"type": "Patient", "interaction": [{"code": "search-type"}],
                                "searchParam": [{"name": "identifier", "type": "token"}]},
                               {"type": "CarePlan", "interaction": [{"code": "read"}, {"code": "vread"},
                                                                    {"code": "history-instance"}],
                                "operation": [{"name": "everything",
                                               "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]},
                               # the rest come in CarePlan/$everything
                               {"type": "Task", "interaction": [{"code": "read"}, {"code": "update"}]}]}]})


@router.post("/auth/token")
def token(now: NowDep, grant_type: Annotated[str, Form()] = "",
          client_assertion_type: Annotated[str, Form()] = "", client_assertion: Annotated[str, Form()] = "",
          scope: Annotated[str, Form()] = "") -> JSONResponse:
    if grant_type != "client_credentials" or \
            client_assertion_type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        return JSONResponse({"error": "unsupported_grant_type" if grant_type != "client_credentials"
                             else "invalid_request"}, status_code=400, headers={"Cache-Control": "no-store"})
    try:
        with transaction() as session:
            issued, lifetime = fhir_clients.issue_token(session, assertion=client_assertion,
                                                        token_url=f"{base()}/auth/token", now=now)
    except AccessDenied:
        return JSONResponse({"error": "invalid_client"}, status_code=401, headers={"Cache-Control": "no-store"})
    return JSONResponse({"access_token": issued, "token_type": "bearer", "expires_in": lifetime,
                         "scope": scope or "system/*.read"}, headers={"Cache-Control": "no-store"})


@router.post("/Patient/_search")
def patient_search(request: Request, now: NowDep, identifier: Annotated[str, Form(max_length=200)] = "") -> JSONResponse:
    return as_caller(request, now, fhir_read.search_patients, identifier, base=base())


@router.get("/CarePlan/{number}")
def care_plan(request: Request, number: str, now: NowDep) -> JSONResponse:
    return as_caller(request, now, fhir_read.care_plan, number)


@router.get("/CarePlan/{number}/_history")
def care_plan_history(request: Request, number: str, now: NowDep) -> JSONResponse:
    return as_caller(request, now, fhir_read.history, number, base=base())


@router.get("/CarePlan/{number}/_history/{version}")
def care_plan_version(request: Request, number: str, version: Annotated[int, Path(ge=1, le=2**31 - 1)],
                      now: NowDep) -> JSONResponse:
    return as_caller(request, now, fhir_read.care_plan, number, version=version)


@router.get("/CarePlan/{number}/$everything")
def care_plan_everything(request: Request, number: str, now: NowDep) -> JSONResponse:
    return as_caller(request, now, fhir_read.everything, number, base=base())


@router.get("/Task/{action_id}")
def task(request: Request, action_id: Annotated[int, Path(ge=1, le=2**31 - 1)], now: NowDep) -> JSONResponse:
    return as_caller(request, now, fhir_read.read_task, action_id)


@router.put("/Task/{action_id}")
async def task_update(request: Request, action_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                      now: NowDep) -> JSONResponse:
    """The owner's organisation reports the action under way or done (status and a note only)."""
    return await with_body(request, now, "Task", fhir_read.update_task, action_id)


@router.post("")
async def transaction_bundle(request: Request, now: NowDep) -> JSONResponse:
    """A transaction Bundle of Encounters and Flags from a journal system: signals."""
    return await with_body(request, now, "Bundle", fhir_signals.receive)


async def with_body(request: Request, now: dt.datetime, kind: str, write: Callable[..., dict], *args: Any
                    ) -> JSONResponse:
    """A write: the body read as a JSON object, then the caller's unit of work in a worker thread."""
    from starlette.concurrency import run_in_threadpool

    if await run_in_threadpool(caller_of, request, now) is None:  # no body is read for a stranger
        return no_token()
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return answer(fhir.outcome("structure", f"the body is not a {kind} in JSON", expression=kind), 400)
    return await run_in_threadpool(as_caller, request, now, write, *args, body)
