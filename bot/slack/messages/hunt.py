"""What one `iambot hunt --post` found: counts by severity and the worst rows, one message."""

from __future__ import annotations

from typing import Any

from bot.slack.messages.base import SEVERITY_EMOJI, Message, bullets, emoji, line, message, rich, t

SEVERITIES = ("critical", "high", "medium", "low", "info")


def hunt_message(data: dict[str, Any]) -> Message:
    found = data.get("counts")
    counts: dict[str, Any] = found if isinstance(found, dict) else {}
    shown = ", ".join(f"{n} {s}" for s, n in counts.items() if s in SEVERITIES and isinstance(n, int)) or "none"
    question = str(data.get("question", "a hunt"))
    text = f"Hunt: {question}. Found at or above {data.get('floor', 'info')}: {shown}."
    top = data.get("top")
    rows = [r for r in top if isinstance(r, dict)][:10] if isinstance(top, list) else []
    items = [
        [
            emoji(SEVERITY_EMOJI.get(str(r.get("severity")), "white_circle")),
            t(f" {r.get('when', '')} "),
            t(str(r.get("event", "")), bold=True),
            t(f" by {r.get('actor', '')} in {r.get('account', '') or '?'}: {r.get('summary', '')}"),
        ]
        for r in rows
    ]
    blocks = [rich(line(emoji("mag"), t(" "), t(text)))]
    if items:
        blocks.append(rich(bullets(items)))
    if data.get("scan"):
        blocks.append(rich(line(t(str(data["scan"]), italic=True))))
    return message(text, blocks)
