"""merchant template versions

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import integration.db.database

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'template_versions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('message_type', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=10), nullable=False),
        sa.Column('locale', sa.String(length=20), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('author', sa.String(length=255), nullable=False),
        sa.Column('note', sa.String(length=255), nullable=False),
        sa.Column('created_at', integration.db.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_template_versions_current', 'template_versions',
                    ['shop_id', 'message_type', 'channel', 'locale', 'id'])


def downgrade() -> None:
    op.drop_index('ix_template_versions_current', table_name='template_versions')
    op.drop_table('template_versions')
