"""Log lines are one JSON object each and never hold a secret: not in the message, not in extra
fields, not in tracebacks."""

from __future__ import annotations

import json
import logging
import sys

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


def test_configure_writes_json_lines_to_stderr_without_the_secrets(root_logging, capsys):
    configure(["xoxb-configured-secret-token"], logging.INFO)
    assert [type(h.formatter) for h in root_logging.handlers] == [JsonFormatter]
    assert logging.getLogger("botocore").level == logging.WARNING
    logging.getLogger("bot.test").info("started with %s", "xoxb-configured-secret-token", extra={"port": 3000})
    logging.getLogger("bot.test").debug("not shown at INFO")
    err = capsys.readouterr().err
    [line] = [json.loads(x) for x in err.splitlines() if x]
    assert line["msg"] == f"started with {REDACTED}" and line["port"] == 3000 and line["level"] == "info"
