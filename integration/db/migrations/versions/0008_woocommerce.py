"""WooCommerce: pending connections, the per-order state the connector diffs against, store links

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import integration.db.database

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('api_key_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('webhook_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('confirm_on_hold', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        'order_states',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('shop_id', BIG, sa.ForeignKey('shops.id', ondelete='CASCADE'), nullable=False),
        sa.Column('order_key', sa.String(64), nullable=False),
        sa.Column('state', sa.JSON(), nullable=False),
        sa.Column('updated_at', integration.db.database.UTCDateTime(), nullable=False),
        sa.UniqueConstraint('shop_id', 'order_key', name='uq_order_states_shop_order'),
    )
    op.create_table(
        'store_connections',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('connect_id', sa.String(64), nullable=False, unique=True),
        sa.Column('claim_secret_hash', sa.String(64), nullable=False),
        sa.Column('store_url', sa.String(500), nullable=False),
        sa.Column('shop_id', BIG, sa.ForeignKey('shops.id', ondelete='CASCADE'), nullable=True),
        sa.Column('created_at', integration.db.database.UTCDateTime(), nullable=False),
        sa.Column('authorized_at', integration.db.database.UTCDateTime(), nullable=True),
        sa.Column('claimed_at', integration.db.database.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table('store_connections')
    op.drop_table('order_states')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        for column in ('confirm_on_hold', 'webhook_ids', 'api_key_id', 'link_secret_encrypted'):
            batch_op.drop_column(column)
