"""Detach a service control policy from a root, an organizational unit or an account. Acts through
AWS Organizations, so iambot must run it with credentials of the organization's management
account (or of a delegated administrator for policies)."""

from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import Field

from remediations.base import BaseParams, Outcome, Plan, Remediation, RemediationError, error_code

# The Organizations API's patterns (PolicyId, PolicyTargetId), with the alternation anchored.
PolicyId = Field(max_length=130, pattern=r"^p-[0-9a-zA-Z_]{8,128}$")
TargetId = Field(max_length=100, pattern=r"^(r-[0-9a-z]{4,32}|[0-9]{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")

FULL_AWS_ACCESS = "p-FullAWSAccess"
_KIND = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "organizational unit", "ACCOUNT": "account"}


def refuse_full_aws_access(policy_id: str) -> None:
    if policy_id == FULL_AWS_ACCESS:
        raise RemediationError(
            "iambot will not detach FullAWSAccess (p-FullAWSAccess): it is the SCP that allows actions at all, "
            "so detaching it denies every action in every account under the target, unless another SCP allows "
            "them. Detach the SCP that was added instead."
        )


class DetachScp(Remediation):
    id = "detach-scp"
    title = "Detach the service control policy"
    service = "organizations"
    permissions = ("organizations:ListTargetsForPolicy", "organizations:DetachPolicy")
    destructive = False
    undo_note = "iambot cannot undo this: attach the policy to the target again in AWS Organizations"

    class Params(BaseParams):
        policy_id: Annotated[str, PolicyId]
        target_id: Annotated[str, TargetId]

    def targets(self, policy_id: str) -> dict[str, dict[str, Any]]:
        """The policy's targets by id. Refuses when there is no such policy or no organization."""
        found: dict[str, dict[str, Any]] = {}
        try:
            for page in self.client.get_paginator("list_targets_for_policy").paginate(PolicyId=policy_id):
                for target in page["Targets"]:
                    found[target["TargetId"]] = target
        except ClientError as exc:
            code = error_code(exc)
            if code == "PolicyNotFoundException":
                raise RemediationError(f"There is no policy {policy_id} in this organization") from exc
            if code == "AWSOrganizationsNotInUseException":
                raise RemediationError("This account is not a member of an organization") from exc
            raise
        return found

    def plan(self, p: Any) -> Plan:
        refuse_full_aws_access(p.policy_id)
        target = self.targets(p.policy_id).get(p.target_id)
        if target is None:
            return Plan([f"Policy {p.policy_id} is not attached to {p.target_id}"], {"attached": False}, noop=True)
        kind = _KIND.get(str(target.get("Type")), "target")
        name = f" ({target['Name']})" if target.get("Name") else ""
        return Plan(
            [
                f"Would detach policy {p.policy_id} from {kind} {p.target_id}{name}: it stops applying to every "
                "account under the target",
                "Attaching the policy again undoes this",
            ],
            {"attached": True},
        )

    def apply(self, p: Any) -> Outcome:
        refuse_full_aws_access(p.policy_id)
        try:
            self.client.detach_policy(PolicyId=p.policy_id, TargetId=p.target_id)
        except ClientError as exc:
            if error_code(exc) != "PolicyNotAttachedException":
                raise
            return Outcome(False, [f"Policy {p.policy_id} was already detached from {p.target_id}"])
        return Outcome(True, [f"Detached policy {p.policy_id} from {p.target_id}"])
