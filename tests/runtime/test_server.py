"""The HTTP server under slow and stalled clients: uploads that announce a body and never send
it hold a socket, not a worker thread, so Slack's requests are still acknowledged at once."""

from __future__ import annotations

import socket
import time

from tests.conftest import REQUESTER

STALLED = 50


def test_fifty_stalled_uploads_do_not_delay_acks(runtime, http):
    host, port = "127.0.0.1", int(http.base.rsplit(":", 1)[1])
    stalled = []
    for _ in range(STALLED):
        s = socket.create_connection((host, port))
        s.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000000\r\n\r\n0123456789"
        )
        stalled.append(s)
    try:
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            status, body = http.slash("help", REQUESTER)
            times.append(time.perf_counter() - t0)
            assert status == 200 and "iambot" in body
        assert max(times) < 1.0, times  # make bench measures the p99 itself (under 100 ms)
        status, _ = http.get("/healthz")
        assert status == 200
    finally:
        for s in stalled:
            s.close()


def test_an_announced_body_over_the_limit_is_refused_unread(runtime, http):
    host, port = "127.0.0.1", int(http.base.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=5) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n")
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")
