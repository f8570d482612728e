"""CloudFormation in tests: cfn-lint over a template, and a stack deployed in moto."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CFN_LINT = Path(sys.executable).with_name("cfn-lint")


def lint(doc: dict[str, Any], tmp_path: Path, name: str = "iambot.json") -> subprocess.CompletedProcess[str]:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return subprocess.run([str(CFN_LINT), str(path)], capture_output=True, text=True, timeout=120)


def deploy(client: Any, doc: dict[str, Any], name: str, **parameters: str) -> dict[str, str]:
    """Create the stack with moto's CloudFormation (``client``); its outputs, by key."""
    client.create_stack(
        StackName=name,
        TemplateBody=json.dumps(doc),
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    [stack] = client.describe_stacks(StackName=name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
