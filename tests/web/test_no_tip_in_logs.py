"""No tip text and no typed place in any log line, at any level, from any logger.

The real app under uvicorn on loopback, every logger at DEBUG (root, uvicorn, the app's, the
store's; SQLAlchemy's statement echo stays off, as it is in production), while the public sends
tips through the form and the API (and a refused one) and an analyst reads and triages them,
typing places of her own.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import Tip
from intel.settings import Settings
from tests.factories import PASSWORD, seed
from web.app import create_app

TEXT_WORDS = ("Kpakpandoro", "Ebimiwei")
TEXT = f"{TEXT_WORDS[0]} took three girls to the farm; his cousin {TEXT_WORDS[1]} drives the bus"
TYPED_PLACES = ("behind Oghomwen's mill, Uselu", "Zorblaxton junction")
TRIAGE_PLACE = "Qwixmouth ferry stage"


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Everything]:
    handler = Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)r"))
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "web", "campaigns", "intel"]
    names += list(logging.root.manager.loggerDict)
    saved = {}
    for name in names:
        logger = logging.getLogger(name)
        if name.startswith("sqlalchemy"):
            continue  # its echo stays off, as in production
        saved[name] = (logger.level, logger.disabled)
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    logging.root.addHandler(handler)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addHandler(handler)
    try:
        yield handler
    finally:
        logging.root.removeHandler(handler)
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).removeHandler(handler)
        for name, (level, disabled) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).disabled = disabled


@pytest.fixture
def base(sqlite_settings: Settings, sqlite_engine: Engine, captured: Everything) -> Iterator[str]:
    seed(sqlite_engine)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    # log_config=None: uvicorn leaves the logging set-up alone, so its loggers stay at DEBUG
    config = uvicorn.Config(create_app(sqlite_settings), log_config=None, log_level="debug", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_no_tip_text_or_typed_place_in_any_log_line(
    base: str, captured: Everything, sqlite_engine: Engine
) -> None:
    with httpx.Client(base_url=base) as public:
        assert public.post("/tip", data={"text": TEXT, "place": TYPED_PLACES[0]}).status_code == 303
        r = public.post("/api/tips", json={"text": TEXT, "place": TYPED_PLACES[1], "lat": 6.4, "lon": 5.6})
        assert r.status_code == 201
        assert (
            public.post("/api/tips", json={"text": TEXT, "place": TYPED_PLACES[1], "lat": 99}).status_code
            == 422
        )
        assert (
            public.post("/tip", data={"text": TEXT + "x" * 5000, "place": TYPED_PLACES[0]}).status_code == 422
        )
    with Session(sqlite_engine) as s:
        tip_ids = [t.id for t in s.exec(select(Tip)).all()]
    assert len(tip_ids) == 2
    with httpx.Client(base_url=base) as ana:
        r = ana.post("/signin", data={"name": "ana", "password": PASSWORD, "next": "/tips"})
        assert r.status_code == 303
        for tip_id in tip_ids:
            page = ana.get(f"/tips/{tip_id}")
            assert TEXT_WORDS[0] in page.text  # she reads it (audited), and it is not logged
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
            assert csrf
            refused = ana.post(
                f"/tips/{tip_id}/triage",
                data={"csrf_token": csrf.group(1), "decision": "actionable", "place": TRIAGE_PLACE},
            )
            assert refused.status_code == 422  # a place that names no place: the form again
            done = ana.post(
                f"/tips/{tip_id}/triage",
                data={"csrf_token": csrf.group(1), "decision": "actionable", "place": "Uselu, Benin City"},
            )
            assert done.status_code == 303
    lines = captured.lines
    assert any("triaged actionable" in line for line in lines), "the app's own lines were captured"
    assert any(line.startswith("uvicorn") for line in lines), "uvicorn's lines were captured"
    words = [*TEXT_WORDS, "Oghomwen", "Zorblaxton", "Qwixmouth"]
    leaked = [line for line in lines if any(w in line for w in words)]
    assert leaked == []
