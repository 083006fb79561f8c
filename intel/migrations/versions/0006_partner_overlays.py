"""partner overlays: a partner's uploads and their scored records, kept apart from the intelligence

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 04:21:26

Adds ``partnerupload`` (one overlay: its owner, kind, summary and rejects) and ``partnerrecord``
(its scored rows). Nothing else reads them; ``counterflow overlay purge`` deletes them after
``COUNTERFLOW_PARTNER_KEEP_DAYS``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('partnerupload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('n_records', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('rejects', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('partnerupload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnerupload_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_partnerupload_owner_id'), ['owner_id'], unique=False)

    op.create_table('partnerrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('record_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['partnerupload.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('partnerrecord', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partnerrecord_upload_id'), ['upload_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('partnerrecord', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnerrecord_upload_id'))

    op.drop_table('partnerrecord')
    with op.batch_alter_table('partnerupload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partnerupload_owner_id'))
        batch_op.drop_index(batch_op.f('ix_partnerupload_created_at'))

    op.drop_table('partnerupload')
