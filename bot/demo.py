"""`iambot demo`: the product on its embedded defaults, in the terminal."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.blocks import alert_message
from bot.console import make_console, render_message, triage_table
from bot.events import ReadStats, Rejected
from bot.triage import Assessor, triage_files

SAMPLE = "cloudtrail-sample.json"


def sample_path() -> Path:
    return Path(str(resources.files("bot") / "samples" / SAMPLE))


def run_demo() -> None:
    console = make_console()
    path = sample_path()
    stats = ReadStats()
    items = list(triage_files([path], Assessor(), stats))
    alerts = [i for i in items if not isinstance(i, Rejected)]
    console.rule("[bold]iambot demo: triage of a bundled CloudTrail log")
    console.print(
        f"Input: {path.name} ({stats.records} records, {stats.iam} IAM, "
        f"{stats.skipped_non_iam} other services skipped)\n"
    )
    console.print(triage_table(alerts))
    console.rule("[bold]The Slack messages iambot would post")
    for alert in alerts:
        message = alert_message(alert)
        console.print(render_message(message.blocks, title=f"#iam-alerts · {alert.event.event_name}"))
    console.print(
        "\nNext: `iambot triage PATH` on your own CloudTrail logs (S3 delivery files, .json.gz, "
        "JSON Lines or EventBridge events); `iambot explain UpdateAccessKey` for the catalog."
    )
