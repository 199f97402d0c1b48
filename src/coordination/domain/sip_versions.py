"""What a SIP version says, and what changed between two versions. Each version is kept whole
(a revision adds a version, never edits one), so any two can be compared."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

# The fields of a version, in the order the SIP form shows them.
FIELDS = ("coordinator", "participants", "what_matters", "plan_b", "other_plans", "relatives_support",
          "next_follow_up")


@dataclass(frozen=True)
class SipContent:
    """One version's plan. Members are referred to by code: the same member compares equal in
    every version whatever their name is now."""
    coordinator: str
    participants: frozenset[str]
    what_matters: str
    plan_b: str | None
    other_plans: tuple[str, ...]
    next_follow_up: dt.date
    relatives_support: str | None = None  # the support and relief the plan gives the relatives


@dataclass(frozen=True)
class Change:
    field: str
    before: object = None  # a text, date or member code; None where there was none
    after: object = None
    added: tuple[str, ...] = ()  # participants only
    removed: tuple[str, ...] = ()


def changes(old: SipContent, new: SipContent) -> list[Change]:
    """What differs between two versions, field by field in the form's order."""
    out = []
    for name in FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if name == "participants":
            if before != after:
                out.append(Change(name, added=tuple(sorted(after - before)), removed=tuple(sorted(before - after))))
        elif _norm(before) != _norm(after):
            out.append(Change(name, before, after))
    return out


def revised(old: SipContent, *, coordinator: str | None = None, add: frozenset[str] = frozenset(),
            remove: frozenset[str] = frozenset(), what_matters: str | None = None, plan_b: str | None = None,
            other_plans: tuple[str, ...] | None = None, next_follow_up: dt.date | None = None,
            relatives_support: str | None = None) -> SipContent:
    """The next version: the old one with what was given changed (None: unchanged; an empty
    plan B clears it). The coordinator always takes part."""
    new_coordinator = coordinator or old.coordinator
    participants = (old.participants - remove) | add | {new_coordinator}
    return replace(old, coordinator=new_coordinator, participants=frozenset(participants),
                   what_matters=old.what_matters if what_matters is None else what_matters.strip(),
                   plan_b=old.plan_b if plan_b is None else (plan_b.strip() or None),
                   other_plans=old.other_plans if other_plans is None else tuple(
                       p.strip() for p in other_plans if p.strip()),
                   next_follow_up=next_follow_up or old.next_follow_up,
                   relatives_support=old.relatives_support if relatives_support is None
                   else (relatives_support.strip() or None))


def _norm(value):
    return value or None  # an empty text and no text are the same plan
