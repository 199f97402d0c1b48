"""Consent and blocks (spärr): recorded, documented, withdrawn, placed and lifted."""

from typing import Annotated, Optional

import typer

from coordination.lazy import lazy
from coordination.entrypoints.cli.base import app, By, carry_out, say

consent = lazy("coordination.usecases.consent")

consent_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Record, document and withdraw consent.")
app.add_typer(consent_app, name="consent")
block_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Blocks (spärr): close one organisation's information to the others.")
app.add_typer(block_app, name="block")


@consent_app.command("record")
def consent_record(
        personnummer: str, by: By,
        organisation: Annotated[list[str], typer.Option(help="Organisation the consent names (two or more).")],
        scope: Annotated[list[str], typer.Option(help="share_information, sip, involve_relatives.")],
        given_by: Annotated[str, typer.Option(help="person or guardian.")] = "person",
        guardian: Annotated[Optional[str], typer.Option(help="Guardian's name, when given by a guardian.")] = None,
        second_guardian: Annotated[Optional[str], typer.Option(
            help="The other guardian's name: a child's two guardians consent together.")] = None,
        sole_guardian_reason: Annotated[Optional[str], typer.Option(
            help="Why one guardian's consent is enough where the child has two.")] = None,
        form: Annotated[str, typer.Option(help="oral or written.")] = "oral",
        documented_in: Annotated[list[str], typer.Option(help="Organisation whose record holds it.")] = (),
        valid_from: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD, default today.")] = None,
        valid_until: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD.")] = None) -> None:
    """Record a consent to share information and/or draw up a SIP."""
    _, consent_id = carry_out(by, "RecordConsent", personnummer=personnummer, organisations=list(organisation),
                              scopes=list(scope), given_by=given_by, guardian=guardian, second_guardian=second_guardian,
                              sole_guardian_reason=sole_guardian_reason, form=form, documented_in=list(documented_in),
                              valid_from=valid_from, valid_until=valid_until)
    say(f"consent {consent_id} recorded")


@consent_app.command("document")
def consent_document(consent_id: int, organisation: Annotated[str, typer.Option()], by: By) -> None:
    """Mark that ORGANISATION has documented the consent in its own record."""
    carry_out(by, "DocumentConsent", consent=consent_id, organisation=organisation)
    say(f"consent {consent_id} documented in {organisation}")


@consent_app.command("withdraw")
def consent_withdraw(consent_id: int, by: By) -> None:
    """Withdraw a consent: from now on nothing more is shared."""
    _, queued = carry_out(by, "WithdrawConsent", consent=consent_id)
    say(f"consent {consent_id} withdrawn; {queued} participant(s) will be told")


@block_app.command("place")
def block_place(personnummer: str, organisation: Annotated[str, typer.Option(
        help="The organisation whose information the person closes to the others.")], by: By) -> None:
    """Record the person's block on one organisation's information."""
    _, block_id = carry_out(by, "PlaceBlock", personnummer=personnummer, organisation=organisation)
    say(f"block {block_id} placed: {organisation}'s information is closed to the other organisations")


@block_app.command("lift")
def block_lift(block_id: int, by: By) -> None:
    """Lift a block at the person's request."""
    carry_out(by, "LiftBlock", block=block_id)
    say(f"block {block_id} lifted")
