"""What the commands share: text streams that never fail on a character their encoding lacks."""

from __future__ import annotations

import io

import pytest

from bot.cli.common import is_utf8, tolerant


@pytest.mark.parametrize(
    ("name", "utf8"), [("utf-8", True), ("UTF8", True), ("latin-1", False), ("utf-8-sig", False), ("nonesuch", False),
                       (None, False)],
)
def test_is_utf8(name, utf8):
    assert is_utf8(name) is utf8


def test_a_stream_in_another_encoding_replaces_what_it_cannot_encode():
    latin, utf8 = (io.TextIOWrapper(io.BytesIO(), encoding=e) for e in ("latin-1", "utf-8"))
    other = io.StringIO()
    tolerant(latin, utf8, other)
    latin.write("été … ┃")
    latin.flush()
    assert latin.buffer.getvalue() == "été ? ?".encode("latin-1")
    assert utf8.errors == "strict"  # nothing it cannot encode


def test_a_stream_told_how_to_handle_errors_keeps_it():
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="backslashreplace")
    tolerant(stream)
    assert stream.errors == "backslashreplace"
