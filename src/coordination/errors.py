"""Typed domain errors.

Every error names the record and field it concerns, says what is wrong and how to fix it,
so the CLI can print one line and exit non-zero.
"""


def N_(message: str) -> str:
    """Marks a text for the catalog (an error's `why`); the workspace shows it translated."""
    return message


class CoordinationError(Exception):
    """Base class. `record` names the thing (e.g. 'person 19121212-1212' or 'case K-2026-0001'),
    `field` the attribute, `hint` how to fix it. `why`, where given, says what is wrong and how to
    fix it in words staff read: a catalog text (marked `N_`) with its `why_values`; the command
    line prints the English message, the workspace the translated `why` beside the field."""

    exit_code = 2

    def __init__(self, message: str, *, record: str | None = None, field: str | None = None,
                 hint: str | None = None, why: str | None = None, why_values: dict | None = None):
        super().__init__(message)
        self.message = message
        self.record = record
        self.field = field
        self.hint = hint
        self.why = why
        self.why_values = why_values or {}

    def __str__(self) -> str:
        where = " ".join(p for p in (self.record, f"field '{self.field}'" if self.field else None) if p)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} — {self.hint}" if self.hint else text


class InvalidInput(CoordinationError):
    """A value that does not parse or is out of range (dates, enums, files)."""


class InvalidPersonnummer(InvalidInput):
    pass


class NotFound(CoordinationError):
    """An unknown member, case, organisation, person, action or consent."""

    exit_code = 3


class ConsentMissing(CoordinationError):
    """No valid consent covers what was asked: nothing is shared, no SIP is made."""

    exit_code = 4


class RuleViolation(CoordinationError):
    """The request contradicts a rule of the cycle (e.g. acting on a closed case)."""

    exit_code = 5


class AccessDenied(CoordinationError):
    """The access policy refused: the member may not reach the case for this purpose. Nothing
    is written but an audit event of the refused attempt (`unit_of_work` writes it)."""

    exit_code = 8

    def __init__(self, message: str, *, rule: str, purpose: str, record: str, hint: str,
                 actor_label: str, actor_id: int | None, person_id: int | None, field: str | None = None):
        super().__init__(f"refused by the access rule '{rule}' ({purpose}): {message}", record=record,
                         field=field, hint=hint)
        self.rule = rule
        self.purpose = purpose
        self.actor_label = actor_label
        self.actor_id = actor_id
        self.person_id = person_id
