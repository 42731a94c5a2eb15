"""safe on the public internet: operator approval and sending switches, session revocation, verified test
recipients and the test sends made, site-bound WooCommerce connections, a delivery's error class

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import integration.db.database

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_at', integration.db.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sending_stopped', sa.String(200), nullable=True))
        batch_op.add_column(sa.Column('daily_send_cap', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('verified_recipients', sa.JSON(), nullable=True))
    with op.batch_alter_table('store_connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_proof_hash', sa.String(64), nullable=True))
        batch_op.add_column(sa.Column('verified_at', integration.db.database.UTCDateTime(), nullable=True))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_class', sa.String(100), nullable=True))
    op.create_table(
        'test_sends',
        sa.Column('id', BIG, primary_key=True),
        sa.Column('shop_id', BIG, sa.ForeignKey('shops.id', ondelete='CASCADE'), nullable=False),
        sa.Column('message_type', sa.String(40), nullable=False),
        sa.Column('channel', sa.String(10), nullable=False),
        sa.Column('recipient', sa.String(255), nullable=True),
        sa.Column('outcome', sa.String(20), nullable=False),
        sa.Column('detail', sa.String(500), nullable=True),
        sa.Column('created_at', integration.db.database.UTCDateTime(), nullable=False),
    )
    op.create_index('ix_test_sends_shop_created', 'test_sends', ['shop_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_test_sends_shop_created', table_name='test_sends')
    op.drop_table('test_sends')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('error_class')
    with op.batch_alter_table('store_connections', schema=None) as batch_op:
        batch_op.drop_column('verified_at')
        batch_op.drop_column('site_proof_hash')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        for name in ('verified_recipients', 'session_epoch', 'daily_send_cap', 'sending_stopped', 'approved_at'):
            batch_op.drop_column(name)
