"""Text from events and people is data: clean() makes hidden characters visible and clips;
mrkdwn() escapes what Slack reads as markup in a message's notification text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.text import MENTION, clean, mrkdwn


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),  # ANSI colour
        ("\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", "␛]8;;https://evil.example␇click␛]8;;␇"),  # OSC 8 link
        ("nul\x00del\x7f", "nul␀del␡"),
        ("c1\x9bcsi", "c1⟨U+009B⟩csi"),
        ("abc\u202edcba", "abc⟨U+202E⟩dcba"),  # right-to-left override
        ("\u2066isolate\u2069", "⟨U+2066⟩isolate⟨U+2069⟩"),
        ("zero\u200bwidth\u200c\u200d\ufeff", "zero⟨U+200B⟩width⟨U+200C⟩⟨U+200D⟩⟨U+FEFF⟩"),
        ("word\u2060joiner", "word⟨U+2060⟩joiner"),
        ("hangul\u3164filler", "hangul⟨U+3164⟩filler"),
        ("lone \udc80 surrogate", "lone ⟨U+DC80⟩ surrogate"),
        ("line\nbreak", "line⏎break"),
        ("tab\there", "tab here"),
        ("cr\rlf", "cr␍lf"),
    ],
)
def test_clean_makes_hidden_characters_visible(raw, shown):
    assert clean(raw) == shown


@pytest.mark.parametrize(
    "text",
    [
        "*bold* _x_ ~y~ `code` ```block```",
        "<!channel> <@U123> <https://evil.example|click>",
        "&amp; &lt;",
        "ünïcødé ✓ 日本",
    ],
)
def test_clean_keeps_printable_text_exactly(text):
    assert clean(text) == text


def test_clean_multiline_keeps_newlines():
    assert clean("a\nb\tc", multiline=True) == "a\nb c"
    assert clean("a\x1bb", multiline=True) == "a␛b"


def test_clean_any_value():
    assert clean(None) == ""
    assert clean(12) == "12"
    assert clean(["a"]) == "['a']"


def test_clean_clips_to_the_limit_after_making_characters_visible():
    assert clean("x" * 10, 5) == "xxxx…"
    assert clean("x" * 5, 5) == "xxxxx"
    shown = clean("\u202e" * 100, 20)
    assert len(shown) == 20 and shown.endswith("…") and "\u202e" not in shown
    assert len(clean("y" * 10_000_000, 3000)) == 3000  # never scans megabytes


@given(st.text(max_size=200), st.integers(1, 300))
def test_clean_output_has_no_controls_and_is_bounded(text, limit):
    out = clean(text, limit)
    assert len(out) <= limit
    # no control characters, surrogates or line/paragraph separators survive
    assert not [c for c in out if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")]
    assert not {"\u202e", "\u200b", "\ufeff", "\u2066"} & set(out)


@pytest.mark.parametrize("char", ["\u00ad", "\U000e0041", "\U000e0001", "\U0001d173"])
def test_clean_makes_every_invisible_format_character_visible(char):
    out = clean(f"admin{char}x")
    assert char not in out
    assert out == f"admin⟨U+{ord(char):04X}⟩x"


def test_mrkdwn_escapes_markup_characters():
    assert mrkdwn("<!channel> & <@U123> <https://evil.example|x>") == (
        "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|x&gt;"
    )
    assert mrkdwn("&amp;") == "&amp;amp;"
    assert mrkdwn("\x1b[31m\u202e") == "␛[31m⟨U+202E⟩"


def test_mrkdwn_keeps_exact_mentions_only_when_asked():
    text = "Approved by <@UAPPROVE1>, not <!here> or <@U123|name> or <#C0ALERTS>"
    assert mrkdwn(text, mentions=True) == (
        "Approved by <@UAPPROVE1>, not &lt;!here&gt; or &lt;@U123|name&gt; or &lt;#C0ALERTS&gt;"
    )
    assert mrkdwn(text).startswith("Approved by &lt;@UAPPROVE1&gt;")
    assert MENTION.fullmatch("<@W0ABC>") and not MENTION.fullmatch("<@u123>")


def test_mrkdwn_never_cuts_an_entity():
    for limit in range(2, 40):
        out = mrkdwn("a&b<c>" * 10, limit)
        assert len(out) <= limit
        body = out.rstrip("…")
        assert body == mrkdwn(body.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"), 10_000)


def test_mrkdwn_clips_mentions_whole():
    for limit in range(5, 60):
        out = mrkdwn("ok <@UAPPROVE1> & <@UAPPROVE2>", limit, mentions=True)
        assert len(out) <= limit
        assert out.count("<") == out.count(">")  # a mention is kept whole or not at all


@given(st.text(alphabet="ab&<>@U1\n\x1b", max_size=120), st.integers(2, 200))
def test_mrkdwn_is_bounded_and_has_no_bare_markup(text, limit):
    out = mrkdwn(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    assert all(part.startswith(("amp;", "lt;", "gt;")) for part in out.split("&")[1:])


def test_every_invisible_character_is_made_visible_among_printable_text():
    from bot.slack.text import _INVISIBLE

    for code in sorted(_INVISIBLE):
        assert clean(f"a{chr(code)}b") == f"a⟨U+{code:04X}⟩b", hex(code)
