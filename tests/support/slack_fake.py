"""A loopback fake of the Slack Web API: records every call, keeps the messages it was sent
(with metadata, for conversations.history), answers response_url posts, and can be told to
answer 429 (with Retry-After) or 500 for the next calls of a method."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET = "test-signing-secret-not-real"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    status: int = 200


@dataclass
class SlackFake:
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) -> message
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies posted to response_url
    views: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (views.open|push|update|publish, view)
    groups: dict[str, list[str]] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)  # e-mail -> user id, for users.lookupByEmail
    members: dict[str, list[str]] = field(default_factory=dict)  # channel -> members, for conversations.members
    # uploads by file id: files.getUploadURLExternal's arguments, then the bytes POSTed to its
    # upload_url ("content"), then files.completeUploadExternal's title, channel_id, thread_ts, comment
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: bool = True  # False: a workspace that refuses table blocks (invalid_blocks), as some do
    faults: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = field(default_factory=dict)
    rate_limit_per_channel: float | None = None  # seconds between posts to one channel; else 429
    _last_post: dict[str, float] = field(default_factory=dict)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _cond: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""
    url_override: str | None = None  # the WebSocket URL apps.connections.open hands out

    # ------------------------------------------------------------ control

    def fail_next(
        self, method: str, status: int = 429, times: int = 1, retry_after: int = 0, error: str | None = None
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "internal_error")}
        self.faults.setdefault(method, []).extend([(status, headers, body)] * times)

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> Any:
        """Block until predicate(self) is truthy (woken by each recorded call); return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting; calls so far: {[c.method for c in self.calls]}")
                # woken by each call; also re-checked often, for state that changes after the last call
                self._cond.wait(min(left, 0.02))

    def of(self, method: str, ok_only: bool = True) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [c.params for c in self.of("chat.postMessage") if channel is None or c.params.get("channel") == channel]

    # ------------------------------------------------------------ serving

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        if path.startswith("/upload/"):  # an upload_url of files.getUploadURLExternal: the file's bytes
            return self._received(path.rsplit("/", 1)[-1], headers, raw)
        ctype = headers.get("content-type", "")
        if "json" in ctype:
            params = json.loads(raw or b"{}")
        else:
            params = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        if path.startswith("/response/"):
            with self._cond:
                self.responses.append(params)
                self.calls.append(Call("response_url", params, headers))
                self._cond.notify_all()
            return 200, {}, {"ok": True}
        method = path.rsplit("/", 1)[-1]
        with self._cond:
            queued = self.faults.get(method)
            if queued:
                status, extra, body = queued.pop(0)
                self.calls.append(Call(method, params, headers, status))
                self._cond.notify_all()
                return status, extra, body
            if method == "auth.test" and "revoked" in headers.get("authorization", ""):
                status, extra, body = 200, {}, {"ok": False, "error": "invalid_auth"}
            else:
                status, extra, body = self._answer(method, params)
            self.calls.append(Call(method, params, headers, status))
            self._cond.notify_all()
            return status, extra, body

    def _received(self, file_id: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], Any]:
        with self._cond:
            queued = self.faults.get("upload")
            status, extra, body = queued.pop(0) if queued else (200, {}, {"ok": True})
            upload = self.files.get(file_id)
            if status == 200 and upload is None:
                status, body = 404, {"ok": False, "error": "no such upload"}
            if status == 200 and upload is not None:
                upload["content"] = raw
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(raw)}, headers, status))
            self._cond.notify_all()
            return status, extra, body

    def _files(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        if method == "files.getUploadURLExternal":
            if not p.get("filename") or not str(p.get("length", "")).isdigit():
                return 200, {}, {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ts):08d}"
            self.files[file_id] = {"id": file_id, "filename": p["filename"], "length": int(p["length"]),
                                   "alt_txt": p.get("alt_txt"), "content": None}  # fmt: skip
            return 200, {}, {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        listed = p.get("files")
        listed = json.loads(listed) if isinstance(listed, str) else listed
        if not isinstance(listed, list) or not listed:
            return 200, {}, {"ok": False, "error": "invalid_arguments"}
        done = []
        for item in listed:
            upload = self.files.get(str(item.get("id")))
            if upload is None or upload["content"] is None or upload.get("completed"):
                return 200, {}, {"ok": False, "error": "file_not_found" if upload is None else "invalid_arguments"}
            upload.update(completed=True, title=item.get("title"), channel_id=p.get("channel_id"),
                          thread_ts=p.get("thread_ts"), initial_comment=p.get("initial_comment"))  # fmt: skip
            done.append({"id": upload["id"], "name": upload["filename"], "title": item.get("title")})
        if p.get("channel_id"):  # shared: a message in the channel (or thread) carrying the files
            ts = f"1700000000.{next(self._ts):06d}"
            msg = {"ts": ts, "text": p.get("initial_comment") or "", "files": done}
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            self.messages[(p["channel_id"], ts)] = msg
        return 200, {}, {"ok": True, "files": done}

    def _refused_blocks(self, blocks: Any) -> str | None:
        """Slack's rules for table blocks: one a message, no empty cell; none where tables are off."""
        blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
        found = [b for b in blocks if isinstance(b, dict) and b.get("type") == "table"]
        if len(found) > 1:
            return "invalid_attachments"  # only_one_table_allowed
        if found and not self.tables:
            return "invalid_blocks"
        for table in found:
            rows = table.get("rows") or []
            if not rows or len(rows) > 100 or any(len(row) > 20 for row in rows):
                return "invalid_blocks"
            if any(cell.get("type") == "raw_text" and not cell.get("text") for row in rows for cell in row):
                return "invalid_blocks"
        return None

    def uploaded(self) -> list[dict[str, Any]]:
        """The uploads completed, in order."""
        with self._cond:
            return [f for f in self.files.values() if f.get("completed")]

    def _answer(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        ok: dict[str, Any] = {"ok": True}
        if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            return self._files(method, p)
        if method == "auth.test":
            return 200, {}, {**ok, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T0TEAM", "team": "Example"}
        refusal = self._refused_blocks(p.get("blocks")) if method in ("chat.postMessage", "chat.update") else None
        if refusal:
            return 200, {}, {"ok": False, "error": refusal}
        if method == "chat.postMessage":
            channel = p["channel"]
            if self.rate_limit_per_channel is not None:
                now = time.monotonic()
                last = self._last_post.get(channel)
                if last is not None and now - last < self.rate_limit_per_channel:
                    return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
                self._last_post[channel] = now
            ts = f"1700000000.{next(self._ts):06d}"
            msg = {"ts": ts, "text": p.get("text"), "blocks": p.get("blocks"), "metadata": p.get("metadata")}
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            self.messages[(channel, ts)] = msg
            return 200, {}, {**ok, "channel": channel, "ts": ts, "message": msg}
        if method == "chat.update":
            key = (p["channel"], p["ts"])
            if key not in self.messages:
                return 200, {}, {"ok": False, "error": "message_not_found"}
            self.messages[key].update(text=p.get("text"), blocks=p.get("blocks"))
            return 200, {}, {**ok, "channel": p["channel"], "ts": p["ts"]}
        if method == "chat.postEphemeral":
            return 200, {}, {**ok, "message_ts": "1700000000.999999"}
        if method in ("conversations.history", "conversations.replies"):
            channel = p["channel"]
            found = [
                m
                for (c, _), m in self.messages.items()
                if c == channel and (method == "conversations.history" or m.get("thread_ts") == p.get("ts"))
            ]
            return 200, {}, {**ok, "messages": found}
        if method == "usergroups.users.list":
            users = self.groups.get(p.get("usergroup", ""))
            if users is None:
                return 200, {}, {"ok": False, "error": "no_such_subteam"}
            return 200, {}, {**ok, "users": users}
        if method == "users.lookupByEmail":
            uid = self.emails.get(str(p.get("email", "")).lower())
            if uid is None:
                return 200, {}, {"ok": False, "error": "users_not_found"}
            return 200, {}, {**ok, "user": {"id": uid, "profile": {"email": p.get("email")}}}
        if method == "conversations.open":  # a 1:1 direct message: its channel id is the same each time
            users = [u for u in str(p.get("users") or "").split(",") if u]
            if len(users) != 1 or not users[0].startswith(("U", "W")):
                return 200, {}, {"ok": False, "error": "user_not_found" if users else "users_list_not_supplied"}
            return 200, {}, {**ok, "channel": {"id": "D" + users[0][1:]}}
        if method == "conversations.members":  # 2 a page, so paging is exercised
            listed = self.members.get(str(p.get("channel") or ""))
            if listed is None:
                return 200, {}, {"ok": False, "error": "channel_not_found"}
            start = int(p.get("cursor") or 0)
            more = start + 2 < len(listed)
            meta = {"next_cursor": str(start + 2) if more else ""}
            return 200, {}, {**ok, "members": listed[start : start + 2], "response_metadata": meta}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = p.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            if method in ("views.open", "views.push") and not p.get("trigger_id"):
                return 200, {}, {"ok": False, "error": "invalid_trigger_id"}
            if not isinstance(view, dict) or "type" not in view:
                return 200, {}, {"ok": False, "error": "invalid_arguments"}
            if method == "views.publish" and (not p.get("user_id") or view.get("type") != "home"):
                return 200, {}, {"ok": False, "error": "invalid_arguments"}
            if len(view.get("blocks") or []) > 100:
                return 200, {}, {"ok": False, "error": "invalid_blocks"}
            self.views.append((method, view))
            return 200, {}, {**ok, "view": {**view, "id": f"V{next(self._ts):08d}"}}
        if method == "apps.connections.open":
            return 200, {}, {**ok, "url": self.url_override or self.url.replace("http://", "ws://") + "/link"}
        return 200, {}, {"ok": False, "error": "unknown_method"}

    # ------------------------------------------------------------ helpers for tests

    def latest(self, channel: str, ts: str) -> dict[str, Any]:
        return self.messages[(channel, ts)]

    def message_with(self, needle: str) -> tuple[tuple[str, str], dict[str, Any]] | None:
        for key, msg in self.messages.items():
            if needle in json.dumps(msg):
                return key, msg
        return None


def serve(fake: SlackFake) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = fake.handle(urllib.parse.urlparse(self.path).path, headers, raw)
            out = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for k, v in extra.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    fake.url = url
    return server, url


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: X-Slack-Signature over v0:timestamp:body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
