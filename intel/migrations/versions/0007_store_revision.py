"""store revision: what names a state of the report table, for the columnar snapshot

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 07:40:00

``intel.snapshot`` keeps the report table as Arrow columns in a file named for the state of the
store it holds. Triggers keep that name honest whatever writes the store:

* SQLite: ``store_revision.token`` is set to a random number by a trigger on every changed or
  deleted report and on every added, changed or deleted source (added reports show in the
  table's row count and highest id, which the name also holds: a trigger per added row would
  slow a bulk import by a fifth).
* PostgreSQL: statement-level triggers add a row with a random token to ``store_change`` for
  every statement that writes reports or sources (``TRUNCATE`` included); the count and the sum
  of the tokens a reader sees name the committed state it sees. Adding rows takes no lock that
  another writer waits on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (trigger name, table, event) of the SQLite triggers; ``intel.snapshot`` checks they are there.
SQLITE_TRIGGERS = (
    ("store_revision_report_update", "report", "UPDATE"),
    ("store_revision_report_delete", "report", "DELETE"),
    ("store_revision_source_insert", "source", "INSERT"),
    ("store_revision_source_update", "source", "UPDATE"),
    ("store_revision_source_delete", "source", "DELETE"),
)
PG_TRIGGERS = (("store_change_report", "report"), ("store_change_source", "source"))


def upgrade() -> None:
    op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "store_change",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_context().dialect.name == "sqlite":
        op.execute("INSERT INTO store_revision (id, token) VALUES (1, random())")
        for name, table, event in SQLITE_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN "
                "INSERT OR REPLACE INTO store_revision (id, token) VALUES (1, random()); END"
            )
    elif op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION store_change_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "INSERT INTO store_change (token) VALUES (floor(random() * 9.0e18)::bigint); RETURN NULL; END $$"
        )
        for name, table in PG_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION store_change_add()"
            )
        op.execute("INSERT INTO store_change (token) VALUES (floor(random() * 9.0e18)::bigint)")


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for name, _table, _event in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif op.get_context().dialect.name == "postgresql":
        for name, table in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS store_change_add()")
    op.drop_table("store_change")
    op.drop_table("store_revision")
