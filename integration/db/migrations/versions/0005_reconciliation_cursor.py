"""reconciliation cursor per shop

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import integration.db.database

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reconciled_until', integration.db.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reconciled_at', integration.db.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reconcile_error', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('reconcile_error')
        batch_op.drop_column('reconciled_at')
        batch_op.drop_column('reconciled_until')
