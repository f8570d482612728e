"""Where IAM events come from: an SQS queue fed by EventBridge, CloudTrail LookupEvents, and
CloudTrail log files (local or S3). Each hands batches of IamEvents to a sink, which stores
them (each once) and decides how they reach Slack; a source only moves on after the sink
has committed."""
