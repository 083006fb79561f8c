"""Development tool: rewrite revision 0001 from the current models.

Only while nothing has been released (the first session). Afterwards, add a new
revision instead: ``alembic revision --autogenerate`` through ``intel.db.alembic_config``.

    python -m intel.migrations.regenerate_initial
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from intel.db import MIGRATIONS, alembic_config, make_engine


def main() -> None:
    for old in (MIGRATIONS / "versions").glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(alembic_config(engine), message="initial store", autogenerate=True, rev_id="0001")


if __name__ == "__main__":
    main()
