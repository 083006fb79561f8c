"""metric: unknown measures are NULL, conversions stored

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000

Every measure of ``metric`` becomes nullable (NULL = the source did not give it, not 0) and a
``conversions`` column keeps an export's results or the platform's conversions. Existing rows
keep their values; their conversions are unknown (NULL).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTS = ('reach', 'impressions', 'clicks', 'video_p25', 'video_p50', 'video_p75', 'video_p100')
FLOATS = ('frequency', 'ctr', 'unique_ctr', 'spend', 'video_avg_time_s')


def upgrade() -> None:
    with op.batch_alter_table('metric', schema=None) as batch_op:
        for name in INTS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=True)
        for name in FLOATS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=True)
        batch_op.add_column(sa.Column('conversions', sa.Integer(), nullable=True))


def downgrade() -> None:
    # the old schema has no "unknown": unknown measures go back to 0, as they were stored then
    for name in INTS + FLOATS:
        op.execute(sa.text(f'UPDATE metric SET {name} = 0 WHERE {name} IS NULL'))
    with op.batch_alter_table('metric', schema=None) as batch_op:
        batch_op.drop_column('conversions')
        for name in INTS:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)
        for name in FLOATS:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=False)
