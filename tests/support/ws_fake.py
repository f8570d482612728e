"""A minimal loopback WebSocket server standing in for Slack's Socket Mode endpoint:
it sends envelopes to the connected app and records the acknowledgements it gets back."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import struct
import threading
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class SocketModeFake:
    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None
        self.connected = threading.Event()
        self.acks: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self._send_lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def _accept(self) -> None:
        conn, _ = self.server.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        headers = dict(line.split(": ", 1) for line in data.decode().split("\r\n")[1:] if ": " in line)
        key = {k.lower(): v for k, v in headers.items()}["sec-websocket-key"]
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        self.conn = conn
        self.send({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        self.connected.set()
        self._read(conn)

    def _frame(self, opcode: int, payload: bytes) -> bytes:
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        return head + payload

    def send(self, message: dict[str, Any]) -> None:
        assert self.conn is not None
        with self._send_lock:
            self.conn.sendall(self._frame(1, json.dumps(message).encode()))

    def _recv_exact(self, conn: socket.socket, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = conn.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def _read(self, conn: socket.socket) -> None:
        try:
            while True:
                b1, b2 = self._recv_exact(conn, 2)
                opcode, n = b1 & 0x0F, b2 & 0x7F
                if n == 126:
                    n = struct.unpack(">H", self._recv_exact(conn, 2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", self._recv_exact(conn, 8))[0]
                mask = self._recv_exact(conn, 4) if b2 & 0x80 else b"\0\0\0\0"
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._recv_exact(conn, n)))
                if opcode == 8:
                    return
                if opcode == 9:
                    with self._send_lock:
                        conn.sendall(self._frame(10, data))
                elif opcode == 1:
                    with self.cond:
                        self.acks.append(json.loads(data))
                        self.cond.notify_all()
        except (ConnectionError, OSError):
            return

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in self.acks), timeout)
            assert ok, f"no ack for {envelope_id}; got {self.acks}"
            return next(a for a in self.acks if a.get("envelope_id") == envelope_id)

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.server.close()
