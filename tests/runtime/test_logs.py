"""Log lines are one JSON object each and never hold a secret: not in the message, not in extra
fields, not in tracebacks."""

from __future__ import annotations

import json
import logging
import sys
import threading
import warnings

import pytest

from bot.runtime.logs import REDACTED, JsonFormatter, configure


def test_log_lines_are_json_and_never_hold_secrets():
    fmt = JsonFormatter(["signing-secret-value-123"])
    record = logging.LogRecord(
        "bot.slack", logging.WARNING, __file__, 1, "posting with %s", ("xoxb-1234-abcdef",), None
    )
    record.outbox_id = "alert:x"
    record.detail = "secret signing-secret-value-123 in a field"
    line = json.loads(fmt.format(record))
    assert line["level"] == "warning" and line["logger"] == "bot.slack" and line["outbox_id"] == "alert:x"
    assert line["msg"] == f"posting with {REDACTED}"
    assert line["detail"] == f"secret {REDACTED} in a field"
    assert line["ts"].endswith("Z")
    assert "signing-secret-value-123" not in json.dumps(line) and "xoxb-1234" not in json.dumps(line)
    try:
        raise ValueError("token xapp-1-A0-secret-thing leaked")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    out = fmt.format(record)
    assert "xapp-1" not in out
    assert "ValueError" in json.loads(out)["error"]  # the traceback is kept, scrubbed


def test_values_that_are_not_text_are_scrubbed_too():
    fmt = JsonFormatter(["hunter2-very-secret"])
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "context", (), None)
    record.context = {"token": "hunter2-very-secret"}
    record.count = 3
    line = json.loads(fmt.format(record))
    assert line["count"] == 3
    assert "hunter2-very-secret" not in json.dumps(line)


def test_short_secrets_are_not_used_to_redact():
    # a secret of a few characters would blank out ordinary words everywhere
    fmt = JsonFormatter(["abc"])
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "abcdef", (), None)
    assert json.loads(fmt.format(record))["msg"] == "abcdef"


@pytest.fixture
def root_logging():
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("botocore").level
    yield root
    root.handlers[:], level, botocore = saved
    root.setLevel(level)
    logging.getLogger("botocore").setLevel(botocore)


def test_configure_writes_json_lines_to_stderr_without_the_secrets(root_logging, hooks, capsys):
    configure(["xoxb-configured-secret-token"], logging.INFO)
    assert [type(h.formatter) for h in root_logging.handlers] == [JsonFormatter]
    assert logging.getLogger("botocore").level == logging.WARNING
    logging.getLogger("bot.test").info("started with %s", "xoxb-configured-secret-token", extra={"port": 3000})
    logging.getLogger("bot.test").debug("not shown at INFO")
    err = capsys.readouterr().err
    [line] = [json.loads(x) for x in err.splitlines() if x]
    assert line["msg"] == f"started with {REDACTED}" and line["port"] == 3000 and line["level"] == "info"


def test_a_urls_password_is_redacted_and_the_rest_of_the_url_kept():
    fmt = JsonFormatter([], replica="iambot-7d9f-abcde")
    url = "postgresql://iambot:s3cr3t-pw@db:5432/x"
    record = logging.LogRecord("psycopg.pool", logging.WARNING, __file__, 1, "connect to %s failed", (url,), None)
    line = json.loads(fmt.format(record))
    assert line["msg"] == f"connect to postgresql://iambot:{REDACTED}@db:5432/x failed"
    assert line["replica"] == "iambot-7d9f-abcde"
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, "see https://slack.com/api/chat.postMessage", (), None)
    assert json.loads(fmt.format(plain))["msg"] == "see https://slack.com/api/chat.postMessage"


@pytest.fixture
def hooks():
    saved = sys.excepthook, threading.excepthook
    logging.captureWarnings(False)  # an earlier configure() took over the warnings of its own test
    yield
    sys.excepthook, threading.excepthook = saved
    logging.captureWarnings(False)


def test_configure_takes_over_libraries_warnings_and_uncaught_exceptions(root_logging, hooks, capsys):
    library = logging.getLogger("some.library")
    library.addHandler(logging.StreamHandler(sys.stderr))  # what a library may do on import
    library.propagate = False
    configure(["xoxb-configured-secret-token"], logging.INFO, replica="replica-1")
    library.warning("library speaking")
    warnings.warn("a deprecation", DeprecationWarning, stacklevel=1)
    thread = threading.Thread(target=lambda: 1 / 0, name="doomed")
    thread.start()
    thread.join()
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines() if x]  # every line is JSON
    assert {x["replica"] for x in lines} == {"replica-1"}
    by_logger = {x["logger"]: x for x in lines}
    assert by_logger["some.library"]["msg"] == "library speaking"
    assert "a deprecation" in by_logger["py.warnings"]["msg"]
    crash = by_logger["iambot.crash"]
    assert crash["thread_name"] == "doomed" and "ZeroDivisionError" in crash["error"]


def test_a_step_up_seed_and_its_uri_are_redacted():
    fmt = JsonFormatter([])
    seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    record = logging.LogRecord(
        "slack_sdk.webhook", logging.DEBUG, __file__, 1, "body %s", (f"Key: {seed} otpauth://totp/iambot:U1?secret={seed}",),
        None,
    )  # fmt: skip
    out = fmt.format(record)
    assert seed not in out and "otpauth://" not in out and out.count(REDACTED) == 2
    plain = logging.LogRecord("bot", logging.INFO, __file__, 1, "event %s", ("AKIAEXAMPLELEGACY001",), None)
    assert "AKIAEXAMPLELEGACY001" in fmt.format(plain)  # an access key id is not a seed
