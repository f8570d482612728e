"""`iambot run` as a real process: its environment, waiting for its port, stopping it, and a
moto server for the AWS it talks to. Output goes to files, never to pipes that could fill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import TEST_SECRET_KEY
from tests.support.slack_fake import SECRET, sign

IAMBOT = Path(sys.executable).with_name("iambot")
TOKEN = "xoxb-test-not-a-real-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_env(slack_url: str, folder: Path, port: int, aws_endpoint: str, **extra: str) -> dict[str, str]:
    """The environment of an `iambot run` process pointed at the Slack fake and an AWS endpoint;
    nothing of the machine's iambot or AWS settings."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("IAMBOT_", "SLACK_", "AWS_"))}
    return {
        **keep,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack_url + "/api/",
        "IAMBOT_DB": str(folder / "iambot.db"),
        "IAMBOT_ALERT_CHANNEL": "C0ALERTS",
        "IAMBOT_APPROVERS": "UAPPROVE1",
        "IAMBOT_SECRET_KEY": TEST_SECRET_KEY,
        "PORT": str(port),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": aws_endpoint,
        **extra,
    }


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    port: int
    out: Path
    err: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def post_signed(self, body: str) -> tuple[int, str]:
        req = urllib.request.Request(
            self.base + "/slack/events",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body)},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, and the exit status once it has exited."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"iambot did not stop within {timeout} s after SIGTERM") from None


def start(env: dict[str, str], folder: Path, *args: str, name: str = "iambot") -> Running:
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen([str(IAMBOT), "run", *args], env=env, stdout=o, stderr=e, stdin=subprocess.DEVNULL,
                                cwd=folder)
    return Running(proc, int(env["PORT"]), out, err)


def wait_until_serving(running: Running, timeout: float = 30) -> None:
    """Poll the port with short timeouts until the process listens (or dies)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.proc.poll() is not None:
            raise AssertionError(f"iambot exited {running.proc.returncode}: {running.output()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", running.port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # waiting for another process to bind, not for time to pass
    raise AssertionError(f"iambot did not start listening: {running.output()[-3000:]}")


def moto_server() -> Any:
    """moto's server on a free loopback port, holding no AWS state (call .stop() when done); its
    URL is .url."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    server.url = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    # moto's accounts live in this process, not in the server: start from none, whatever an
    # earlier test's server left behind
    urllib.request.urlopen(urllib.request.Request(server.url + "/moto-api/reset", method="POST"), timeout=10).close()
    return server
