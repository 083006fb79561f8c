"""report place and date precision

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:00:00.000000

Every report records how precisely its place and date are known (``intel.precision``). Rows
already stored get, for their place: ``point`` when they have coordinates (they fed hotspot cells
before, and keep doing so until re-imported, which detects the precision from the source),
``country`` when they have only a country, else ``unspecified``; for their date: the
``date_precision`` an import spec recorded in ``extra`` (``month`` or ``year``), else ``day``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_precision', sqlmodel.sql.sqltypes.AutoString(length=11),
                                      nullable=False, server_default='point'))
        batch_op.add_column(sa.Column('date_precision', sqlmodel.sql.sqltypes.AutoString(length=5),
                                      nullable=False, server_default='day'))
    op.execute(
        "UPDATE report SET place_precision = CASE WHEN country IS NOT NULL THEN 'country' "
        "ELSE 'unspecified' END WHERE lat IS NULL OR lon IS NULL"
    )
    if op.get_bind().dialect.name == 'postgresql':
        stated = "CAST(extra AS JSONB) ->> 'date_precision'"
    else:
        stated = "json_extract(extra, '$.date_precision')"
    op.execute(f"UPDATE report SET date_precision = {stated} WHERE {stated} IN ('month', 'year')")


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('date_precision')
        batch_op.drop_column('place_precision')
