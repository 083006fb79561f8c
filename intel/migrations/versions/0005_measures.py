"""measures: what an aggregate's figure counts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

Adds ``report.measure``, ``report.figure`` and ``report.figure_high`` (see ``intel.measures``).
Aggregates stored before held their figure in ``victim_count`` whatever it counted; they get
their measure from what their import kept: a UNODC row from its indicator (and dimension), a
TIP report edge is a mention. Any other aggregate keeps no measure and is listed as such.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the UNODC indicators as the GLOTIP export spells them (as in intel/specs/unodc.toml)
UNODC = {
    "Detected trafficking victims": "victims_detected",
    "Persons brought into formal contact": "suspected",
    "Persons prosecuted": "prosecuted",
    "Persons convicted": "convicted",
    "Offences of trafficking in persons": "offences",
}


def _measure(extra: dict[str, Any], spec: str | None) -> str | None:
    indicator = extra.get("indicator")
    if indicator in UNODC:
        if UNODC[indicator] == "victims_detected" and extra.get("dimension") == "by country of repatriation":
            return "victims_repatriated"
        return UNODC[indicator]
    if spec == "tip_edges":
        return "mentions"
    return None


def upgrade() -> None:
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("measure", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("figure", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("figure_high", sa.Integer(), nullable=True))

    report = sa.table(
        "report",
        sa.column("id", sa.Integer()),
        sa.column("import_id", sa.Integer()),
        sa.column("is_aggregate", sa.Boolean()),
        sa.column("victim_count", sa.Integer()),
        sa.column("extra", sa.JSON()),
        sa.column("measure", sa.String()),
        sa.column("figure", sa.Integer()),
        sa.column("figure_high", sa.Integer()),
    )
    batch = sa.table("importbatch", sa.column("id", sa.Integer()), sa.column("spec", sa.String()))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(report.c.id, report.c.extra, report.c.victim_count, batch.c.spec)
        .select_from(report.outerjoin(batch, batch.c.id == report.c.import_id))
        .where(report.c.is_aggregate.is_(True))
    ).all()
    updates = []
    for rid, extra, count, spec in rows:
        if isinstance(extra, str):
            extra = json.loads(extra or "{}")
        measure = _measure(extra or {}, spec)
        if measure is None:
            continue
        text = str((extra or {}).get("count_text") or "")
        high = count
        if text.startswith("<") and text[1:].strip().isdigit() and int(text[1:]) >= 2:
            high = int(text[1:]) - 1
        updates.append({"rid": rid, "m": measure, "lo": count, "hi": high})
    if updates:
        conn.execute(
            report.update()
            .where(report.c.id == sa.bindparam("rid"))
            .values(
                measure=sa.bindparam("m"),
                figure=sa.bindparam("lo"),
                figure_high=sa.bindparam("hi"),
                victim_count=0,
            ),  # fmt: skip
            updates,
        )


def downgrade() -> None:
    # the figure goes back where revision 0001 kept it
    op.execute("UPDATE report SET victim_count = figure WHERE measure IS NOT NULL AND figure IS NOT NULL")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_column("figure_high")
        batch_op.drop_column("figure")
        batch_op.drop_column("measure")
