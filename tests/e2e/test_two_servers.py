"""Two application servers behind one address: Pallio keeps no state in a server process.

Two granian servers run over the one PostgreSQL database, as two app machines of a health
system would, behind a round-robin balancer that sends each request to the next server in
turn (a small HTTP proxy here, keeping the Host header as a real balancer does). A nurse signs
in (password, then authenticator code), takes a call on the 24/7 line, finds the patient as
she types (an htmx swap) and records the call: every step lands on whichever server is next,
the session, the CSRF token, the one-time codes and the audit trail's chain are shared through
the database, and the chain is intact afterwards.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from django.db import connection
from playwright.sync_api import expect
from tests.e2e.conftest import Browsing, sign_in_through_pages

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


class AppServer:
    """One granian server as `make run` starts it, on the test database."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": _database_url(), "PALLIO_LOG_LEVEL": "ERROR"}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("granian")),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
                "--blocking-threads",
                "2",
                "--no-ws",
                "--log-level",
                "warning",
                "pallio.wsgi:application",
            ],
            env=env,
            cwd=ROOT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server {self.name} stopped while starting")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        pytest.fail(f"server {self.name} did not answer /healthz within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class RoundRobin:
    """An HTTP balancer that keeps the Host header and takes turns between the servers.

    Turns are kept per kind of request (static files, page loads, htmx swaps, form posts), so
    that every kind reaches both servers whatever the browser fetches in between.
    """

    def __init__(self, servers: list[AppServer]) -> None:
        self.turns: dict[str, Iterator[AppServer]] = {}
        self.servers = servers
        self.lock = threading.Lock()
        self.served: list[tuple[str, str, str, bool, int]] = []
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                with balancer.lock:
                    server = next(balancer.turns.setdefault(self._kind(), balancer._cycle()))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                content = answer.read()
                with balancer.lock:
                    balancer.served.append(
                        (
                            server.name,
                            self.command,
                            self.path.split("?")[0],
                            "HX-Request" in self.headers,
                            answer.status,
                        )
                    )
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)
                upstream.close()

            def _kind(self) -> str:
                if self.path.startswith("/static/") or self.path == "/favicon.ico":
                    return "static"
                if "HX-Request" in self.headers:
                    # Per address: a page's timed refresh between two searches takes no turn
                    # from the searches.
                    return "htmx " + self.path.split("?")[0]
                return self.command

            do_GET = do_POST = do_HEAD = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _cycle(self) -> Iterator[AppServer]:
        return itertools.cycle(self.servers)

    def pages(self, server: str) -> list[tuple[str, str, str, bool, int]]:
        return [
            row
            for row in self.served
            if row[0] == server and not row[2].startswith("/static/") and row[2] != "/favicon.ico"
        ]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def balanced(world: Any) -> Iterator[RoundRobin]:
    servers = [AppServer("first"), AppServer("second")]
    try:
        for server in servers:
            server.wait_ready()
        balancer = RoundRobin(servers)
        yield balancer
        balancer.close()
    finally:
        for server in servers:
            server.stop()


def test_a_nurse_works_across_two_servers_behind_one_address(world, browser, balanced, request):
    from allauth.mfa.totp.internal.auth import TOTP

    from pallio.audit.services import audit_verify
    from pallio.support.models import Call

    browsing = Browsing(browser, f"http://127.0.0.1:{balanced.port}", request.node.name)
    try:
        secret = pyotp.random_base32()
        TOTP.activate(world.oncall, secret)
        owen = browsing.new_page()
        sign_in_through_pages(owen, world.oncall, secret)

        owen.goto("/support/")
        expect(owen.get_by_role("heading", name="24/7 line")).to_be_visible()
        owen.get_by_role("link", name="Take a new call").click()
        # Two searches, one request each: with the balancer's turns they reach both servers.
        search = owen.get_by_label("Find the patient: name, date of birth or phone")
        with owen.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
            search.fill("alice")
        expect(owen.get_by_role("link", name=re.compile("Alice Anders"))).to_be_visible()
        with owen.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
            search.fill("anders")
        expect(owen.get_by_role("link", name=re.compile("Alice Anders"))).to_have_count(1)
        owen.get_by_role("link", name=re.compile("Alice Anders")).click()
        expect(owen.get_by_role("heading", name=re.compile("Key facts"))).to_be_visible()
        owen.get_by_label("Who is calling").select_option(label="Family caregiver")
        owen.get_by_label("Caller's name").fill("Ann Anders")
        owen.get_by_label("Number to call back").fill("617-555-0199")
        owen.get_by_label("Reason for the call").select_option(value="symptom")
        owen.get_by_label("What the caller says").fill("Asking when the nurse comes tomorrow.")
        owen.get_by_role("button", name="Record the call").click()
        expect(owen.get_by_text("Call recorded. Triage it below.")).to_be_visible()
        browsing.shot(owen, "call-recorded-through-two-servers")
    finally:
        browsing.close()

    served = balanced.served
    assert all(status < 500 for *_, status in served), served
    # Both servers answered signed-in pages, and the patient search's htmx swaps and the
    # forms' POSTs landed on both: nothing depended on which one answered before.
    for server in ("first", "second"):
        pages = balanced.pages(server)
        assert any(method == "POST" for _, method, *_ in pages), (server, served)
        assert any(path.startswith("/support/") and status == 200 for *_, path, _, status in pages)
    searches = [row for row in served if row[3]]
    assert {row[0] for row in searches} == {"first", "second"}, served
    assert Call.objects.filter(patient=world.alice, caller_name="Ann Anders").count() == 1
    checked, broken = audit_verify()
    assert broken is None and checked > 0
