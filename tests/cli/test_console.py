"""Slack messages drawn in the terminal (the demo's): mentions of users and groups read as @id."""

from __future__ import annotations

from rich.console import Console

from bot.cli.console import render_message
from bot.slack.messages import request_message
from bot.workflow import RequestView
from tests.support.blocks import request


def test_a_requests_ping_line_names_users_and_groups():
    view = RequestView(request(), "Deactivate the access key", False, None, ping=("U0ANA0001", "S0SECURITY"))
    console = Console(width=120, record=True, color_system=None)
    console.print(render_message(request_message(view).blocks))
    assert "For your approval: @U0ANA0001 @S0SECURITY" in console.export_text()
