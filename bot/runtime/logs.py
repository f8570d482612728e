"""Structured log lines (one JSON object each) for `iambot run`, with secrets taken out.

Every line the process writes goes through here: iambot's own, and waitress's, Bolt's,
slack_sdk's, APScheduler's and boto's (their loggers propagate to the root handler, and any
handler a library set up itself is removed), Python's warnings, and exceptions no code caught,
in any thread. Each line names the replica (IAMBOT_REPLICA, else host and pid), so the lines of
several replicas in one log store can be told apart.

Any configured secret value, anything shaped like a Slack token or a step-up seed (base32, or an
``otpauth://`` URI), and the password of a URL (``postgresql://user:password@host``) are replaced
by "[redacted]" wherever they appear: in the message, in extra fields, in tracebacks. slack_sdk
and Bolt log at INFO at most: at DEBUG they write whole request bodies.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

_TOKEN = re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{6,}")
# a step-up seed (base32, 32 characters) and the otpauth:// URI that carries it
_SEED = re.compile(r"otpauth://\S+|\b[A-Z2-7]{32}\b")
_URL_PASSWORD = re.compile(r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@")
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}
REDACTED = "[redacted]"


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = (), replica: str | None = None):
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]
        self.replica = replica

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _URL_PASSWORD.sub(lambda m: m["keep"] + REDACTED + "@", text)
        text = _SEED.sub(REDACTED, text)
        return _TOKEN.sub(REDACTED, text)

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": self.scrub(record.getMessage()),
        }
        if self.replica:
            out["replica"] = self.replica
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info)
        # scrub the whole line: a secret can hide in any field, nested or not
        line = orjson.dumps(out, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
        return self.scrub(line)


def configure(secrets: Iterable[str], level: int = logging.INFO, replica: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secrets, replica))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):  # a library's own stream handler would write plain text
            logger.handlers[:] = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]
            logger.propagate = True
    for noisy in ("botocore", "urllib3", "apscheduler.executors", "slack_sdk.socket_mode"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # slack_sdk writes every request body at DEBUG, private answers (an enrolment's seed) included
    for chatty in ("slack_sdk", "slack_bolt"):
        logging.getLogger(chatty).setLevel(max(level, logging.INFO))
    logging.captureWarnings(True)
    crashed = logging.getLogger("iambot.crash")

    def uncaught(kind: type[BaseException], error: BaseException, tb: Any) -> None:
        crashed.critical("uncaught exception", exc_info=(kind, error, tb))

    def uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            crashed.critical(
                "uncaught exception in a thread",
                exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
                extra={"thread_name": args.thread.name if args.thread else None},
            )

    sys.excepthook = uncaught
    threading.excepthook = uncaught_in_thread
