"""Decompression of .json.gz files: every member, with the kept fast library or the standard one."""

from __future__ import annotations

import gzip
import zlib

import pytest

from bot.events import UnreadableInput, gz

BODY = b'{"Records": []}' * 1000


@pytest.fixture(params=["kept", "stdlib"])
def impl(request, monkeypatch):
    """Both branches: whichever library the platform has, and the standard library's fallback."""
    if request.param == "stdlib":
        monkeypatch.setattr(gz, "_zlib", zlib)
    return request.param


def test_gunzip_round_trips(impl):
    assert gz.gunzip(gzip.compress(BODY), "a.json.gz") == BODY


def test_every_member_is_read(impl):
    # CloudTrail objects are single-member, but concatenated .gz files are valid gzip too
    assert gz.gunzip(gzip.compress(b"one\n") + gzip.compress(b"two\n"), "x.gz") == b"one\ntwo\n"


@pytest.mark.parametrize(
    "data",
    [
        b"\x1f\x8bnot gzip at all",
        gzip.compress(BODY, mtime=0)[:-8],  # truncated: no trailer
        gzip.compress(BODY, mtime=0)[:40],
        b"plain text",
    ],
    ids=["not-gzip", "no-trailer", "cut-short", "plain-text"],  # the same in every xdist worker
)
def test_corrupt_input_names_the_file(impl, data):
    with pytest.raises(UnreadableInput, match=r"^logs/x\.json\.gz: not a valid gzip file \("):
        gz.gunzip(data, "logs/x.json.gz")


def test_zero_padding_between_members_is_skipped_as_gzip_does(impl):
    data = gzip.compress(b"one\n") + b"\x00" * 8 + gzip.compress(b"two\n") + b"\x00" * 4
    assert gz.gunzip(data, "x.gz") == gzip.decompress(data)


def test_a_gzip_bomb_is_refused_by_name_without_inflating_it(impl):
    bomb = gzip.compress(b"\x00" * (64 << 20))  # 64 MiB of zeros in about 64 KB
    assert len(bomb) < 100_000
    with pytest.raises(UnreadableInput, match=r"^bomb\.json\.gz: more than 16 MiB once decompressed; not read$"):
        gz.gunzip(bomb, "bomb.json.gz", limit=16 << 20)
    # the ceiling counts every member together
    with pytest.raises(UnreadableInput, match="more than 1 MiB once decompressed"):
        gz.gunzip(gzip.compress(b"x" * (600 << 10)) * 2, "two.gz", limit=1 << 20)
    assert gz.gunzip(gzip.compress(b"x" * (1 << 20)), "exact.gz", limit=1 << 20) == b"x" * (1 << 20)


def test_the_fast_library_is_used_where_installed():
    try:
        import isal  # noqa: F401
    except ImportError:
        assert gz.FAST is False
    else:
        assert gz.FAST is True
