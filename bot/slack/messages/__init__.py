"""One builder function per message, each re-rendering the whole message from a view."""

from bot.slack.messages.alert import alert_message
from bot.slack.messages.base import Message, bullets, emoji, line, link, message, rich, t, titled, user
from bot.slack.messages.digest import digest_message
from bot.slack.messages.notices import (
    break_glass_message,
    burst_message,
    confirmation_message,
    feed_message,
    mute_message,
    repeats_message,
)
from bot.slack.messages.replies import done, failed, listing, preformatted, refused, reply, usage
from bot.slack.messages.request import REQUEST_STATUS, request_message, status_text

__all__ = [
    "REQUEST_STATUS",
    "Message",
    "alert_message",
    "break_glass_message",
    "bullets",
    "burst_message",
    "confirmation_message",
    "digest_message",
    "done",
    "emoji",
    "failed",
    "feed_message",
    "line",
    "link",
    "listing",
    "message",
    "mute_message",
    "preformatted",
    "refused",
    "repeats_message",
    "reply",
    "request_message",
    "rich",
    "status_text",
    "t",
    "titled",
    "usage",
    "user",
]
