"""SQLModel tables of the coordination database, gathered from `persistence/tables/`, one module an
area (people, consent, cases, planning, follow-up, notifications, audit, workspace, team meetings).
Import them from here: Alembic and the rest of the code see one metadata.

Each table keeps a `...Base` with the fields a person or an import file supplies, so
importers and the CLI validate against the same definition the table is built from.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

from coordination.persistence.tables.people import (  # noqa: F401
    OrganisationBase, Organisation, MemberBase, Member, Person, Contact,
)
from coordination.persistence.tables.consent import (  # noqa: F401
    Consent, ConsentParty, ConsentCoverage, Block,
)
from coordination.persistence.tables.cases import (  # noqa: F401
    SignalRecord, UnregisteredSignal, CaseSequence, CareCase, Assessment, Share, ReturnReport,
)
from coordination.persistence.tables.planning import (  # noqa: F401
    Sip, SipMeeting, SipParticipant, Action, FollowUp,
)
from coordination.persistence.tables.follow_up import (  # noqa: F401
    SweepNotice, Deviation, Escalation, EscalationRecipient,
)
from coordination.persistence.tables.notifications import (  # noqa: F401
    Outbox, OutboxSend,
)
from coordination.persistence.tables.audit import (  # noqa: F401
    AuditEvent, AuditReview, EmergencyAccess,
)
from coordination.persistence.tables.workspace import (  # noqa: F401
    SignInLink, StaffSession, AppSecret,
)
from coordination.persistence.tables.fhir import (  # noqa: F401
    FhirClient, FhirToken,
)
from coordination.persistence.tables.team_meetings import (  # noqa: F401
    Meeting, MeetingAttendance, MeetingDecision, MeetingMinutes,
)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a table model, for set-based INSERTs that skip the ORM's per-row
    bookkeeping. SQLModel sets `__table__` at class creation, where type checkers cannot see it."""
    return getattr(model, "__table__")
