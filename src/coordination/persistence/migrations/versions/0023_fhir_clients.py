"""the FHIR API's registered client systems and their short-lived access tokens

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa

from coordination.persistence.types import UTCDateTime

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'fhir_client',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('client_id', sa.String(length=128), nullable=False),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'), nullable=False),
        sa.Column('jwks', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('registered_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_fhir_client_client_id', 'fhir_client', ['client_id'], unique=True)
    op.create_table(
        'fhir_token',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('token_hash', sa.String(), nullable=False),
        sa.Column('client_id', sa.Integer(), sa.ForeignKey('fhir_client.id'), nullable=False),
        sa.Column('jti', sa.String(length=256), nullable=False, unique=True),
        sa.Column('issued_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_fhir_token_token_hash', 'fhir_token', ['token_hash'], unique=True)


def downgrade() -> None:
    op.drop_table('fhir_token')
    op.drop_table('fhir_client')
