"""Seeded CloudTrail S3 deliveries built from the real records under tests/fixtures/cloudtrail.

Every generated record is a copy of a real one (the detonation logs, records/ and authored/), so
sizes, nesting, ``responseElements``, errors and the mix of services are CloudTrail's own; what
changes per copy is what differs between real events: ids, times, the account, the region, the
source address, and the caller (assumed-role sessions with their session context, IAM users, AWS
services). About 2% of records are identity events (the catalog's selection), the rest other
services. Global services (IAM, STS, sign-in, Organizations) are recorded in us-east-1 only; the
other regions carry regional services and the regional identity sources (IAM Identity Center,
Roles Anywhere). Files follow CloudTrail's layout, AWSLogs/<account>/CloudTrail/<region>/Y/M/D/,
with a varying number of records each, gzipped as CloudTrail does.

Usage: python bench/generate.py OUT RECORDS [SEED] [--identity-share 0.25]
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "cloudtrail"
VERSION = 2  # bump when the output changes: cached data sets are keyed on it
ACCOUNTS = ("111122223333", "444455556666", "777788889999")
REGIONS = (("us-east-1", 0.40), ("us-west-2", 0.25), ("eu-west-1", 0.20), ("ap-southeast-2", 0.15))
GLOBAL = frozenset({"iam", "sts", "signin", "organizations", "cloudfront", "route53"})
SHARE_HOME = 0.045  # identity share in us-east-1 files (global + regional identity sources)
SHARE_REGIONAL = 0.003  # elsewhere: regional identity sources only; about 2% overall
HOME_WEIGHT = dict(REGIONS)["us-east-1"]
DEFAULT_SHARE = HOME_WEIGHT * SHARE_HOME + (1 - HOME_WEIGHT) * SHARE_REGIONAL  # 0.0198
PLACEHOLDER = "000011112222"
ROLES = ("ci-deployer", "AWSReservedSSO_AdministratorAccess_0123456789abcdef", "lambda-exec", "eks-node", "Admin")
USERS = ("alice", "bob", "terraform", "erin@example.com", "backup-svc")
AGENTS = ("aws-cli/2.15.30 Python/3.11.6 Linux/6.1", "Boto3/1.34.70 md/Botocore#1.34.70", "console.amazonaws.com",
          "aws-sdk-go-v2/1.25.0 os/linux lang/go#1.22", "Terraform/1.7.5 terraform-provider-aws/5.41.0")


@dataclass(frozen=True)
class Templates:
    identity_global: list[bytes]
    identity_regional: list[bytes]
    noise_global: list[bytes]
    noise_regional: list[bytes]


def _records(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    items = data.get("Records", [data]) if isinstance(data, dict) else data
    return [r for r in items if isinstance(r, dict) and isinstance(r.get("eventSource"), str)]


@cache
def templates() -> Templates:
    from bot.catalog import load

    selection = load().selection()
    found: list[dict[str, Any]] = []
    for folder in ("detonation-logs", "records", "authored"):
        for path in sorted((FIXTURES / folder).glob("*.json")):
            found.extend(_records(path))
    groups: dict[tuple[bool, bool], list[bytes]] = {(a, b): [] for a in (True, False) for b in (True, False)}
    for record in found:
        text = json.dumps(record, separators=(",", ":"))
        for account in set(re.findall(r"\b\d{12}\b", text)):
            text = text.replace(account, PLACEHOLDER)
        service = record["eventSource"].split(".", 1)[0]
        wanted = selection.wants(record["eventSource"], record.get("eventName"))
        groups[(wanted, service in GLOBAL)].append(text.encode())
    return Templates(groups[(True, True)], groups[(True, False)], groups[(False, True)], groups[(False, False)])


def shares(identity_share: float | None) -> tuple[float, float]:
    """(us-east-1's identity share, the other regions') for an overall share: today's two scaled
    alike, us-east-1's capped at every record and the rest carried by the other regions."""
    if identity_share is None:
        return SHARE_HOME, SHARE_REGIONAL
    if not 0 <= identity_share <= 1:
        raise ValueError(f"identity share {identity_share} is not between 0 and 1")
    home = min(1.0, SHARE_HOME * identity_share / DEFAULT_SHARE)
    regional = (identity_share - HOME_WEIGHT * home) / (1 - HOME_WEIGHT)
    return home, min(1.0, regional)


def _hex(r: random.Random, n: int) -> str:
    return f"{r.getrandbits(4 * n):0{n}x}"


def _uuid(r: random.Random) -> str:
    h = _hex(r, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _caller(r: random.Random, account: str, when: datetime) -> dict[str, Any]:
    roll = r.random()
    if roll < 0.55:
        role = r.choice(ROLES)
        session = r.choice(USERS) if role.startswith("AWSReserved") else f"{role}-{_hex(r, 8)}"
        return {
            "type": "AssumedRole",
            "principalId": f"AROA{_hex(r, 16).upper()}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": f"ASIA{_hex(r, 16).upper()}",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": f"AROA{_hex(r, 16).upper()}",
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {
                    "creationDate": (when - timedelta(minutes=r.randint(1, 600))).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "mfaAuthenticated": "false",
                },
            },
        }
    if roll < 0.9:
        user = r.choice(USERS)
        return {
            "type": "IAMUser",
            "principalId": f"AIDA{_hex(r, 16).upper()}",
            "arn": f"arn:aws:iam::{account}:user/{user}",
            "accountId": account,
            "accessKeyId": f"AKIA{_hex(r, 16).upper()}",
            "userName": user,
        }
    service = r.choice(("cloudformation.amazonaws.com", "autoscaling.amazonaws.com", "lambda.amazonaws.com"))
    return {"type": "AWSService", "invokedBy": service}


def _record(r: random.Random, template: bytes, account: str, region: str, when: datetime, identity: bool) -> Any:
    record = orjson.loads(template.replace(PLACEHOLDER.encode(), account.encode()))
    record["eventID"] = _uuid(r)
    record["requestID"] = _uuid(r)
    record["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    record["awsRegion"] = region
    record["recipientAccountId"] = account
    if "sourceIPAddress" in record and not str(record["sourceIPAddress"]).endswith("amazonaws.com"):
        first = r.choice((198, 203, 52, 3))
        record["sourceIPAddress"] = f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    tls = record.get("tlsDetails")
    if isinstance(tls, dict):
        tls["clientProvidedHostHeader"] = f"{record['eventSource'].split('.')[0]}.{region}.amazonaws.com"
    if not identity:  # identity records keep their caller: it is what they are scored on
        if "errorCode" in record and r.random() < 0.75:  # the detonations fail more often than daily work
            record.pop("errorCode")
            record.pop("errorMessage", None)
        record["userIdentity"] = _caller(r, account, when)
        if record["userIdentity"]["type"] != "AWSService":
            record["userAgent"] = r.choice(AGENTS)
    return record


def _file_sizes(r: random.Random, total: int) -> list[int]:
    """Records per file: log-normal around 500 (CloudTrail writes a file every ~5 minutes per region)."""
    sizes = []
    left = total
    while left > 0:
        n = max(1, min(left, int(r.lognormvariate(math.log(400), 0.8))))
        sizes.append(n)
        left -= n
    return sizes


def _chunk(args: tuple[Path, int, int, list[int], tuple[float, float]]) -> tuple[int, int, int]:
    out, seed, chunk, sizes, (share_home, share_regional) = args
    r = random.Random(seed * 1_000_003 + chunk)
    t = templates()
    start = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=6 * chunk)
    records = identity = raw_bytes = 0
    names, weights = zip(*REGIONS, strict=True)
    for i, size in enumerate(sizes):
        region = r.choices(names, weights)[0]
        account = r.choice(ACCOUNTS)
        window = start + timedelta(minutes=5 * i)
        batch = []
        for _ in range(size):
            home = region == "us-east-1"
            share = share_home if home else share_regional
            is_identity = r.random() < share
            if is_identity:
                pool = t.identity_regional if not home or r.random() < 0.15 else t.identity_global
            else:
                pool = t.noise_regional if not home or r.random() < 0.7 else t.noise_global
            when = window + timedelta(seconds=r.randint(0, 299))
            batch.append(_record(r, r.choice(pool), account, region, when, is_identity))
            identity += is_identity
        body = orjson.dumps({"Records": batch})
        folder = out / "AWSLogs" / account / "CloudTrail" / region / window.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_{window:%Y%m%dT%H%MZ}_{chunk:04d}{i:05d}{_hex(r, 6)}.json.gz"
        packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip, zlib's default level
        (folder / name).write_bytes(packer.compress(body) + packer.flush())
        records += size
        raw_bytes += len(body)
    return records, identity, raw_bytes


def generate(
    out: Path, records: int, seed: int = 7, processes: int = 2, identity_share: float | None = None
) -> dict[str, Any]:
    """Write ``records`` records under ``out`` (cached: a finished set is reused); its manifest.
    ``identity_share``: the share of identity events (None: today's, about 2%)."""
    manifest = out.with_name(out.name + ".json")  # beside the logs, not among them
    if manifest.exists():
        return json.loads(manifest.read_text())  # type: ignore[no-any-return]
    r = random.Random(seed)
    sizes = _file_sizes(r, records)
    per_chunk = 40
    split = shares(identity_share)
    jobs = [(out, seed, c, sizes[i : i + per_chunk], split) for c, i in enumerate(range(0, len(sizes), per_chunk))]
    with ProcessPoolExecutor(processes) as pool:
        done = list(pool.map(_chunk, jobs))
    info = {
        "version": VERSION,
        "seed": seed,
        "identity_share": identity_share,
        "records": sum(d[0] for d in done),
        "identity": sum(d[1] for d in done),
        "bytes": sum(d[2] for d in done),
        "files": len(sizes),
        "gz_bytes": sum(p.stat().st_size for p in out.rglob("*.json.gz")),
    }
    manifest.write_text(json.dumps(info))
    return info


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def describe(out: Path, sample_files: int = 40) -> dict[str, Any]:
    """What a sample of the data looks like: the figures the bench prints beside it."""
    import gzip

    files = sorted(out.rglob("*.json.gz"))[:: max(1, len(sorted(out.rglob("*.json.gz"))) // sample_files)]
    recs = [rec for p in files for rec in orjson.loads(gzip.decompress(p.read_bytes()))["Records"]]
    n = len(recs) or 1
    return {
        "mean_bytes": sum(len(orjson.dumps(x)) for x in recs) / n,
        "mean_depth": sum(_depth(x) for x in recs) / n,
        "max_depth": max((_depth(x) for x in recs), default=0),
        "assumed_role": sum(x.get("userIdentity", {}).get("type") == "AssumedRole" for x in recs) / n,
        "errors": sum(bool(x.get("errorCode")) for x in recs) / n,
        "response_elements": sum(bool(x.get("responseElements")) for x in recs) / n,
        "regions": len({x.get("awsRegion") for x in recs}),
        "iam_regions": sorted({x.get("awsRegion") for x in recs if x.get("eventSource") == "iam.amazonaws.com"}),
    }


if __name__ == "__main__":
    import argparse

    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description="Seeded CloudTrail S3 deliveries from the fixtures")
    parser.add_argument("out", type=Path)
    parser.add_argument("records", type=int)
    parser.add_argument("seed", type=int, nargs="?", default=7)
    parser.add_argument("--identity-share", type=float, default=None, help="share of identity events (about 0.02)")
    args = parser.parse_args()
    print(generate(args.out, args.records, args.seed, identity_share=args.identity_share))
    print(describe(args.out))
