"""A seeded, realistic CloudTrail S3 delivery log: about 2% IAM, the rest STS, EC2, S3 and KMS noise,
as .json.gz files in the AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ layout."""

from __future__ import annotations

import gzip
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

ACCOUNT = "123456789012"
NOISE = [
    ("sts.amazonaws.com", ["AssumeRole", "GetCallerIdentity", "AssumeRoleWithWebIdentity"]),
    ("ec2.amazonaws.com", ["DescribeInstances", "DescribeSecurityGroups", "RunInstances", "DescribeVolumes"]),
    ("s3.amazonaws.com", ["ListBuckets", "GetBucketAcl", "GetBucketPolicy", "PutBucketTagging"]),
    ("kms.amazonaws.com", ["Decrypt", "GenerateDataKey", "Encrypt", "DescribeKey"]),
]
IAM = [
    (
        "UpdateAccessKey",
        lambda r: {
            "userName": f"svc-{r.randint(1, 300)}",
            "accessKeyId": _key(r),
            "status": r.choice(["Active", "Inactive"]),
        },
    ),
    (
        "UpdateLoginProfile",
        lambda r: {"userName": f"user-{r.randint(1, 300)}", "passwordResetRequired": r.random() < 0.5},
    ),
    ("UploadSigningCertificate", lambda r: {"userName": f"user-{r.randint(1, 300)}", "certificateBody": "-----"}),
    ("CreateAccessKey", lambda r: {"userName": f"svc-{r.randint(1, 300)}"}),
    (
        "AttachUserPolicy",
        lambda r: {"userName": f"user-{r.randint(1, 300)}", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    ),
    ("ListUsers", lambda r: None),
    ("GetUser", lambda r: {"userName": f"user-{r.randint(1, 300)}"}),
]


def _key(r: random.Random) -> str:
    return "AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def record(r: random.Random, when: datetime, n: int, iam_share: float) -> dict:
    actor = r.choice(["alice", "bob", "ci-deployer", "terraform", "erin@example.com"])
    if r.random() < iam_share:
        name, params = r.choice(IAM)
        source, request, read_only = "iam.amazonaws.com", params(r), name.startswith(("List", "Get"))
    else:
        source, names = r.choice(NOISE)
        name, request, read_only = r.choice(names), {"x": r.randint(0, 9)}, r.random() < 0.8
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDA{n:016d}"[:21],
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{actor}",
            "accountId": ACCOUNT,
            "accessKeyId": _key(r),
            "userName": actor,
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": f"198.51.100.{r.randint(1, 254)}",
        "userAgent": r.choice(["aws-cli/2.15.0", "Boto3/1.34.0", "console.amazonaws.com", "terraform/1.7"]),
        "requestParameters": request,
        "responseElements": None,
        "requestID": f"{n:08x}-0000-4000-8000-{r.getrandbits(48):012x}",
        "eventID": f"{n:08x}-1111-4000-8000-{r.getrandbits(48):012x}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def generate(out: Path, records: int, per_file: int = 1000, iam_share: float = 0.02, seed: int = 7) -> list[Path]:
    r = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    files = []
    n = 0
    for i in range(0, records, per_file):
        when = start + timedelta(minutes=5 * (i // per_file))
        folder = out / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / when.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        batch = []
        for _ in range(min(per_file, records - i)):
            batch.append(record(r, when + timedelta(seconds=r.randint(0, 299)), n, iam_share))
            n += 1
        path = folder / f"{ACCOUNT}_CloudTrail_us-east-1_{when:%Y%m%dT%H%MZ}_{i:08d}.json.gz"
        path.write_bytes(gzip.compress(orjson.dumps({"Records": batch}), compresslevel=6))
        files.append(path)
    return files


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]))
