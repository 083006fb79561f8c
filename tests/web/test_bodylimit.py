"""Request bodies are limited before they are read: by Content-Length, and while they stream in."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from select import select as wait_for_io

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import Tip
from intel.settings import Settings
from web.app import create_app
from web.bodylimit import MAX_BODY


@pytest.fixture
def live(sqlite_settings: Settings, sqlite_engine: Engine) -> Iterator[tuple[str, int]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(create_app(sqlite_settings), access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield "127.0.0.1", port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _answer(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    want = int(headers.get("content-length", "0"))
    while len(body) < want:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def test_a_200_mb_body_is_refused_by_its_length_before_a_byte_is_read(live: tuple[str, int]) -> None:
    host, port = live
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(
            b"POST /api/tips HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200000000\r\n\r\n" + b'{"text": "'
        )
        status, headers, body = _answer(conn)  # answered without the other 199.99 MB being sent
    assert status == 413 and headers["content-type"] == "application/json"
    error = json.loads(body)
    assert error["status"] == 413 and "200,000,000 bytes" in error["error"] and "128 KiB" in error["fix"]


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        ("/api/tips", "application/json", b'{"text": "'),
        ("/tip", "application/x-www-form-urlencoded", b"text="),
    ],
)
def test_a_chunked_body_that_grows_past_the_limit_is_cut_off(
    live: tuple[str, int], sqlite_engine: Engine, path: str, content_type: str, start: bytes
) -> None:
    host, port = live
    sent = 0
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = start + b"a" * (16 * 1024 - len(start))
        # Send up to 200 MB, 16 KiB at a time, until the server answers (or closes).
        while sent < 200_000_000:
            readable, writable, _ = wait_for_io([conn], [conn], [], 10)
            if readable or not writable:
                break
            try:
                conn.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            chunk = b"a" * 16 * 1024
        status, headers, body = _answer(conn)
    # the server answered long before 200 MB (what was sent beyond the limit sat in socket buffers)
    assert MAX_BODY < sent < 16_000_000
    assert status == 413
    if path.startswith("/api/"):
        assert json.loads(body)["status"] == 413
    else:
        assert headers["content-type"].startswith("text/html") and b"128 KiB" in body
    with Session(sqlite_engine) as s:
        assert s.exec(select(Tip)).all() == []


def test_bodies_under_the_limit_still_work_and_the_form_says_so_in_html(
    sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    with TestClient(create_app(sqlite_settings)) as c:
        assert c.post("/api/tips", json={"text": "ü" * 5000}).status_code == 201
        r = c.post("/tip", data={"text": "x" * (MAX_BODY + 1)})
        assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
        assert "at most 128 KiB" in r.text and r.headers["content-security-policy"]
        r = c.post("/api/tips", content=b'{"text": "' + b"y" * MAX_BODY + b'"}')
        assert r.status_code == 413 and r.json()["fix"].startswith("send a shorter request")
    with Session(sqlite_engine) as s:
        assert len(s.exec(select(Tip)).all()) == 1
