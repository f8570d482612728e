"""What iambot knows about AWS beyond events: the policy its principal needs, the CloudFormation
templates, and read-only account reports."""
