"""What of a person may be handed to another organisation.

For a person with protected identity (skyddade personuppgifter) the address and phone never
leave the coordination database; every party is instead told that the identity is
protected. A child whose residence is hidden from the guardians carries that warning in
every handover, so it is visible in every party's record (Jönköping, children)."""

from __future__ import annotations

from dataclasses import dataclass

WITHHELD = "[withheld: protected identity]"


@dataclass(frozen=True)
class PersonView:
    personnummer: str
    name: str
    address: str | None
    phone: str | None
    protected_identity: bool
    residence_hidden_from_guardians: bool


def shareable(person: PersonView) -> PersonView:
    if not person.protected_identity:
        return person
    return PersonView(person.personnummer, person.name, WITHHELD, WITHHELD, True,
                      person.residence_hidden_from_guardians)


def warnings(person: PersonView) -> list[str]:
    notes = []
    if person.protected_identity:
        notes.append("PROTECTED IDENTITY: contact details are withheld; do not disclose whereabouts.")
    if person.residence_hidden_from_guardians:
        notes.append("RESIDENCE HIDDEN FROM GUARDIANS: never reveal where the child stays to the guardians.")
    return notes
