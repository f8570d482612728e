"""Text that came from an event (or from a person) is data, never markup.

:func:`clean` is the one function every such string passes through before Slack or a terminal
shows it: control characters, bidirectional overrides and zero-width characters are made
visible (an ESC becomes ␛, U+202E becomes ⟨U+202E⟩), so a name cannot rewrite a terminal, hide
a character or reverse the text around it; and it is clipped to a limit. The message builders
then put it in rich-text elements, which Slack shows literally: ``*``, ``_``, ``~``, backticks,
``<!channel>`` and ``&amp;`` stay exactly as written. Where Slack reads mrkdwn (a message's
notification text) :func:`mrkdwn` escapes the three characters Slack treats as markup there.
"""

from __future__ import annotations

import re
from typing import Any

MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})>")

# bidirectional controls and zero-width or invisible formatting characters
_INVISIBLE = frozenset(
    [
        *(0x061C, 0x115F, 0x1160, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0x3164, 0xFEFF),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        *range(0xFFF9, 0xFFFC),
    ]
)
_HAS_INVISIBLE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_INVISIBLE)) + "]")  # one scan in C


def _visible(ch: str, multiline: bool) -> str:
    code = ord(ch)
    if ch == "\n":
        return ch if multiline else "⏎"
    if ch == "\t":
        return " "
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ … ␟
    if code == 0x7F:
        return "␡"
    if ch.isprintable() and code not in _INVISIBLE:
        return ch
    return f"⟨U+{code:04X}⟩"  # C1 controls, bidi, zero-width, soft hyphen, tags, surrogates …


def clean(value: Any, limit: int = 3000, multiline: bool = False) -> str:
    """``value`` as text safe to show: hidden characters made visible, clipped to ``limit``."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = text[: limit * 2]  # enough to fill the limit even after expansion; never scan megabytes
    if not text.isprintable() or _HAS_INVISIBLE.search(text):
        text = "".join(_visible(c, multiline) if not c.isprintable() or ord(c) in _INVISIBLE else c for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str, mentions: bool) -> str:
    """& < > as entities, except (when ``mentions``) an exact user mention <@U…> iambot wrote."""
    out, at = [], 0
    for match in MENTION.finditer(text) if mentions else ():
        out.append(text[at : match.start()].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        out.append(match.group(0))
        at = match.end()
    out.append(text[at:].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def mrkdwn(value: Any, limit: int = 3000, mentions: bool = False) -> str:
    """For the few places Slack reads mrkdwn (a message's notification text): cleaned, with
    & < > escaped so nothing links or pings, never cutting an entity in half. ``mentions`` keeps
    exact user mentions, for text iambot wrote itself (a reply naming who decided)."""
    raw = clean(value, limit)
    out = _escape(raw, mentions)
    while len(out) > limit:
        raw = raw[: max(0, len(raw) - (len(out) - limit) - 1)]
        out = _escape(raw, mentions) + "…"
    return out
