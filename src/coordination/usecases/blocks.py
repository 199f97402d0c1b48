"""Blocks (spärr): the person closes one organisation's information to the other organisations.

The access policy applies them (`domain/access.py`): members outside the blocked organisation
no longer reach what it wrote (its SBARs in the record, handovers from it)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from coordination.domain.access import may_take_request
from coordination.errors import NotFound, RuleViolation
from coordination.persistence.models import Block, Person
from coordination.usecases.access import member_facts, require_verdict
from coordination.usecases.common import Actor, audit, organisation_by_code


def place_block(session: Session, actor: Actor, *, person: Person, organisation: str, now: dt.datetime) -> int:
    """The person's wish, taken down by any active member."""
    org = organisation_by_code(session, organisation)
    if actor.member_id is not None:
        require_verdict(may_take_request(member_facts(session, actor.member_id)), actor, "place block",
                        record="person", person_id=person.id)
    existing = session.exec(select(Block).where(col(Block.person_id) == person.id, col(Block.organisation_id) == org.id,
                                                col(Block.lifted_at) == None)).first()  # noqa: E711
    if existing is not None:
        raise RuleViolation(f"{organisation} is already blocked (block {existing.id})", record="person",
                            field="organisation", hint="nothing to do; `coordination block lift` removes it")
    block = Block(person_id=person.id, organisation_id=org.id, placed_by_id=actor.member_id, placed_at=now)
    session.add(block)
    session.flush()
    audit(session, actor, "place", "block", block.id, now=now, person_id=person.id)
    return block.id


def lift_block(session: Session, actor: Actor, *, block_id: int, now: dt.datetime) -> None:
    block = session.get(Block, block_id)
    if block is None:
        raise NotFound(f"unknown block {block_id}", record=f"block {block_id}", field="block",
                       hint="`coordination case show CASE` lists the person's blocks")
    if actor.member_id is not None:
        require_verdict(may_take_request(member_facts(session, actor.member_id)), actor, "lift block",
                        record=f"block {block_id}", person_id=block.person_id)
    if block.lifted_at is not None:
        raise RuleViolation("is already lifted", record=f"block {block_id}", field="lifted_at", hint="nothing to do")
    block.lifted_at, block.lifted_by_id = now, actor.member_id
    session.add(block)
    audit(session, actor, "lift", "block", block.id, now=now, person_id=block.person_id)
