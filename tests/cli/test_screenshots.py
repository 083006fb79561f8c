"""`counterflow screenshots` on a small store: real server, real sign-in form, real Chromium."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import Tip, User
from intel.settings import Settings
from tests.factories import seed

pytestmark = pytest.mark.browser


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_it_shoots_every_page_per_role_at_both_widths(
    sqlite_settings: Settings, sqlite_engine: Engine, tmp_path: Path, chromium_path: str
) -> None:
    seeded = seed(sqlite_engine)
    with Session(sqlite_engine) as s:  # a tip, so the tip page has one to show
        fernet = sqlite_settings.tip_fernet()
        s.add(Tip(campaign_id=seeded.rows.campaign.id, text_encrypted=fernet.encrypt(b"seen at the market")))
        s.commit()
    out = tmp_path / "shots"
    env = dict(
        os.environ,
        COUNTERFLOW_HOME=str(sqlite_settings.home),
        COUNTERFLOW_DATABASE_URL=sqlite_settings.db_url,
        COUNTERFLOW_ENVIRONMENT="test",
        COUNTERFLOW_CHROMIUM=chromium_path,
    )
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import run; run()", "screenshots", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    pages = ["home", "welcome", "signin", "tip-form", "hotspots", "hotspot-run", "tips", "tip"]
    pages += ["imports", "hotspots-new", "figures", "campaigns", "campaign", "plan", "copy", "schedule"]
    pages += ["portfolio", "outcomes", "admin", "overlay"]
    files = sorted(out.glob("*.png"))
    assert len(files) == 2 * len(pages), [f.name for f in files]
    for f in files:
        width, height = _png_size(f)
        assert width == (1280 if f.name.endswith("-desktop.png") else 390), f.name
        assert height >= 300 and f.stat().st_size > 5000, (f.name, height, f.stat().st_size)
    # every page was shot signed in, not as the sign-in page it would redirect to
    assert _png_size(out / "director-portfolio-desktop.png") != _png_size(out / "public-signin-desktop.png")
    assert done.stdout.count("(200)") == 2 * len(pages) and "answered" not in done.stdout
    with Session(sqlite_engine) as s:  # the temporary users are gone
        assert not s.exec(select(User).where(User.name.startswith("screenshots-"))).all()  # type: ignore[attr-defined]
