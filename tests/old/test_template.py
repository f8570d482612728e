"""The CloudFormation template passes cfn-lint and carries exactly `iambot policy`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings
from bot.manifest import policy
from bot.template import RULE_PATTERN, template


def lint(doc: dict, tmp_path) -> subprocess.CompletedProcess:
    path = tmp_path / "iambot.json"
    path.write_text(json.dumps(doc))
    return subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), str(path)], capture_output=True, text=True, timeout=120
    )


def test_template_passes_cfn_lint(tmp_path):
    doc = json.loads(CliRunner().invoke(cli, ["template"]).output)
    result = lint(doc, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = json.loads(json.dumps(doc))
    broken["Resources"]["EventQueue"]["Properties"]["VisibilityTimeout"] = "soon"
    assert lint(broken, tmp_path).returncode != 0  # cfn-lint does catch mistakes


def test_template_role_holds_the_bot_policy_and_the_rule_feeds_the_queue():
    settings = Settings(IAMBOT_REMEDIATIONS="deactivate-access-key,require-password-reset")
    doc = template(settings)
    role = doc["Resources"]["BotRole"]["Properties"]["Policies"]
    assert role[0]["PolicyDocument"] == policy(settings)
    assert RULE_PATTERN == {"source": ["aws.iam"], "detail-type": ["AWS API Call via CloudTrail"]}
    redrive = doc["Resources"]["EventQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 5
