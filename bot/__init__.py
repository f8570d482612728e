"""iambot: explains AWS IAM CloudTrail events in Slack and remediates them after approval."""

__version__ = "0.1.0"
