"""storefront help: plain-words facts and notes per page type, text per locale, click counts per day

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storefront_facts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('page_notes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('storefront_text', sa.JSON(), nullable=True))
    op.create_table(
        'help_clicks',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True),
        sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  sa.ForeignKey('shops.id', ondelete='CASCADE'), nullable=False),
        sa.Column('page', sa.String(20), nullable=False),
        sa.Column('link_id', sa.String(20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('clicks', sa.Integer(), nullable=False, server_default='0'),
        sa.UniqueConstraint('shop_id', 'day', 'page', 'link_id', name='uq_help_clicks_shop_day_page_link'),
    )


def downgrade() -> None:
    op.drop_table('help_clicks')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('storefront_text')
        batch_op.drop_column('page_notes')
        batch_op.drop_column('storefront_facts')
