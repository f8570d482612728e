import json
import logging

from bot.logs import REDACTED, JsonFormatter


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
    assert "signing-secret-value-123" not in json.dumps(line) and "xoxb-1234" not in json.dumps(line)
    try:
        raise ValueError("token xapp-1-A0-secret-thing leaked")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    assert "xapp-1" not in fmt.format(record)
