"""`iambot demo`: the whole product on embedded defaults, in the terminal.

AWS runs in-process (moto) with a small account. The five first-class events happen as real IAM
calls against it, each with the CloudTrail record CloudTrail would write (moto writes none),
and go through the real pipeline: assess, store, route, post. Slack is a console stand-in that
draws each message from its blocks. One request is walked through approval and executed
against moto, then the digest is posted. Nothing leaves the machine.
"""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import pyotp
from cryptography.fernet import Fernet
from rich.markup import escape

from bot.cli.console import make_console, render_message
from bot.cli.demo_questions import PEOPLE, was_this_you
from bot.slack.messages.details import details_view
from bot.slack.messages.home import home_view
from bot.slack.text import clean

SAMPLE = "cloudtrail-sample.json"
ACCOUNT = "123456789012"  # moto's default account: an obvious fake
REQUESTER, APPROVER = "U0DEMOALICE", "U0DEMOBOB"
CHANNEL = "C0DEMOALERTS"


def sample_path() -> Path:
    return Path(str(resources.files("bot") / "samples" / SAMPLE))


class ConsoleSlack:
    """The few Web API methods iambot calls, answered by drawing the message in the terminal."""

    def __init__(
        self, console: Any, show_updates: Callable[[str], bool] = lambda text: True, out: Path | None = None
    ):
        self.console = console
        self.out = out  # where an uploaded file is saved (the digest's chart), for a person to open
        self.saved: list[Path] = []
        self.ts = itertools.count(1)
        self.show_updates = show_updates
        self.posted = 0
        self.shown: dict[tuple[str, str], list[Any]] = {}  # what each message showed last

    def chat_postMessage(
        self,
        *,
        channel: str,
        text: str,
        blocks: list[Any],
        thread_ts: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        ts = f"1700000000.{next(self.ts):06d}"
        where = f"{channel} · thread reply" if thread_ts else f"{channel} · new message"
        self.console.print(render_message(blocks, title=where))
        self.shown[(channel, ts)] = list(blocks)
        self.posted += 1
        return {"ok": True, "channel": channel, "ts": ts}

    def chat_update(self, *, channel: str, ts: str, text: str, blocks: list[Any], **_: Any) -> dict[str, Any]:
        """As Slack shows it: the same message, changed in place; drawn here as only what changed
        (its status lines, its buttons), not a second copy of the whole message."""
        before = self.shown.get((channel, ts), [])
        self.shown[(channel, ts)] = list(blocks)
        changed = [b for b in blocks if b not in before]
        if self.show_updates(text) and changed:
            self.console.print(render_message(changed, title=f"{channel} · updated in place: what changed"))
        return {"ok": True, "channel": channel, "ts": ts}

    def files_upload_v2(self, *, content: bytes, channel: str, initial_comment: str = "", **_: Any) -> dict[str, Any]:
        """An upload (files.getUploadURLExternal + files.completeUploadExternal): the file is saved
        in the demo's output folder instead, and its path printed."""
        where = f"{channel} · thread reply, a file"
        if self.out is None:
            self.console.print(f"{where}: {escape(initial_comment)}")
            return {"ok": True, "file": {"id": "F0DEMO"}}
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            path = self.out / "digest-chart.png"
            path.write_bytes(content)
        except OSError as exc:
            self.console.print(f"(the chart could not be saved in {escape(str(self.out))}: {escape(str(exc))})")
            return {"ok": True, "file": {"id": "F0DEMO"}}
        self.saved.append(path.resolve())
        saved = escape(str(path.resolve()))
        self.console.print(f"[bold]{where}:[/] {escape(initial_comment)}\nSaved as [bold]{saved}[/]")
        return {"ok": True, "file": {"id": f"F0DEMO{len(self.saved)}"}}

    def conversations_history(self, **_: Any) -> dict[str, Any]:
        return {"ok": True, "messages": []}

    conversations_replies = conversations_history

    def conversations_open(self, *, users: str, **_: Any) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0][1:]}}  # the person's direct message

    def conversations_members(self, **_: Any) -> dict[str, Any]:
        return {"ok": True, "members": [], "response_metadata": {"next_cursor": ""}}

    def usergroups_users_list(self, **_: Any) -> dict[str, Any]:
        return {"ok": True, "users": []}

    def users_lookupByEmail(self, **_: Any) -> dict[str, Any]:
        return {"ok": True, "user": {}}

    token = "xoxb-demo-not-a-real-token"


def _templates() -> dict[str, dict[str, Any]]:
    records = orjson.loads(sample_path().read_bytes())["Records"]
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["eventSource"] == "iam.amazonaws.com" and r.get("requestParameters"):
            out.setdefault(r["eventName"], r)
    return out


def _record(template: dict[str, Any], when: datetime, n: int, request: dict[str, Any]) -> dict[str, Any]:
    text = orjson.dumps(template).decode().replace("111122223333", ACCOUNT)
    r = orjson.loads(text)
    r["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    r["eventID"] = f"demo-{n:04d}-0000-4000-8000-{n:012d}"
    r["requestParameters"] = request
    return r


def self_signed_certificate() -> tuple[str, str]:
    """A throwaway self-signed certificate and its key (PEM), for the demo and the tests."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "demo.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, private


def run_demo(show_updates: bool = False, out: Path | None = Path("iambot-demo")) -> dict[str, Any]:
    """Play the scenario; return a few facts about it (used by the test). Files the demo would
    upload to Slack (the digest's chart) are saved in ``out``."""
    console = make_console(markup=True)  # its own headings; event text reaches it only as Text objects
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        console.print(
            "iambot demo runs AWS in-process with moto, which is not installed here. "
            "Run `make demo` (it installs everything), or `pip install 'iambot[test]'`.",
            markup=False,  # the extra's brackets are text, not rich markup
        )
        raise SystemExit(2) from None

    from bot.config.settings import given
    from bot.events import normalize
    from bot.runtime.wiring import build
    from bot.workflow import Refused
    from remediations.aws import Aws
    from remediations.base import JobContext
    from remediations.restore_oidc_thumbprints import snapshot

    facts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        session = boto3.Session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name="us-east-1")
        iam = session.client("iam")
        settings = given(
            SLACK_BOT_TOKEN="xoxb-demo-not-a-real-token",
            IAMBOT_ALERT_CHANNEL=CHANNEL,
            IAMBOT_APPROVERS=APPROVER,
            IAMBOT_DB=str(Path(tmp) / "demo.db"),
            channel_interval_seconds=0,
            # every approval asks for a code here, to show it (the default asks for irreversible ones)
            step_up="all",
            IAMBOT_SECRET_KEY=Fernet.generate_key().decode(),
            people=PEOPLE,  # who the IAM users of "Was this you?" are in Slack
        )
        slack = ConsoleSlack(console, lambda text: show_updates or "succeeded" in text or "running" not in text, out)
        runtime = build(settings, aws=Aws(session), client=slack)
        store, wf = runtime.store, runtime.workflow
        t = _templates()

        console.rule("[bold]1. A small AWS account, in-process (moto)")
        iam.create_user(UserName="legacy-etl")
        key = iam.create_access_key(UserName="legacy-etl")["AccessKey"]["AccessKeyId"]
        iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Inactive")
        iam.create_user(UserName="ci-admin")
        iam.create_login_profile(UserName="ci-admin", Password="Initial-Demo-Passw0rd!")
        provider = iam.create_open_id_connect_provider(
            Url="https://token.actions.example.com", ThumbprintList=["a" * 40], ClientIDList=["sts.amazonaws.com"]
        )["OpenIDConnectProviderArn"]
        pem, private = self_signed_certificate()
        iam.upload_server_certificate(
            ServerCertificateName="www-example-com-2026", CertificateBody=pem, PrivateKey=private
        )
        snapshot(JobContext(iam, ACCOUNT, store.snapshots, datetime.now(UTC) - timedelta(minutes=30)))
        console.print(
            f"Users legacy-etl (access key {key}, Inactive) and ci-admin (console password); OIDC provider "
            f"token.actions.example.com (thumbprints recorded by iambot's snapshot job); server certificate "
            f"www-example-com-2026.\n"
        )

        console.rule("[bold]2. Someone acts: five IAM changes, and CloudTrail's records of them")
        now = datetime.now(UTC) - timedelta(minutes=5)
        events = []
        iam.update_access_key(UserName="legacy-etl", AccessKeyId=key, Status="Active")
        events.append(
            _record(t["UpdateAccessKey"], now, 1, {"userName": "legacy-etl", "accessKeyId": key, "status": "Active"})
        )
        iam.update_login_profile(UserName="ci-admin", Password="Attacker-Chosen-Passw0rd!")
        events.append(_record(t["UpdateLoginProfile"], now + timedelta(seconds=40), 2, {"userName": "ci-admin"}))
        cert_id = iam.upload_signing_certificate(UserName="ci-admin", CertificateBody=pem)["Certificate"][
            "CertificateId"
        ]
        upload = _record(
            t["UploadSigningCertificate"],
            now + timedelta(seconds=80),
            3,
            {"userName": "ci-admin", "certificateBody": pem},
        )
        upload["responseElements"] = {
            "certificate": {"certificateId": cert_id, "userName": "ci-admin", "status": "Active"}
        }
        events.append(upload)
        # moto has no UpdateServerCertificate: the record is what CloudTrail writes for the rename
        events.append(
            _record(
                t["UpdateServerCertificate"],
                now + timedelta(seconds=120),
                4,
                {
                    "serverCertificateName": "www-example-com-2026",
                    "newServerCertificateName": "www-example-com-2026-old",
                },
            )
        )
        iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=provider, ThumbprintList=["b" * 40])
        events.append(
            _record(
                t["UpdateOpenIDConnectProviderThumbprint"],
                now + timedelta(seconds=160),
                5,
                {"openIDConnectProviderArn": provider, "thumbprintList": ["b" * 40]},
            )
        )
        console.print("Each goes through the real pipeline: normalize → assess → store → route → Slack.\n")
        console.rule("[bold]3. What the security channel sees")
        alerts = wf.intake.take([normalize(r, origin="demo") for r in events]).alerts
        facts["alerts"] = [(a.event.event_name, a.severity) for a in alerts]
        oidc = wf.views.alert_view(alerts[-1].event.key)
        if oidc is not None:  # one tap away: what happened, why it matters, every fact
            modal = details_view(oidc)
            facts["details_blocks"] = len(modal["blocks"])
            console.print(render_message(modal["blocks"], title="Someone taps Details on the last alert · a modal"))

        console.rule("[bold]4. Alice asks for a fix; Bob approves; iambot re-checks and applies it")
        key_alert = alerts[0]
        request = wf.remediations.ask_from_alert("deactivate-access-key", key_alert.event.key, REQUESTER)
        console.print(f"<@{REQUESTER}> clicked “Deactivate the access key”: request {request.id}.\n")
        try:
            wf.remediations.approve(request.id, REQUESTER)
        except Refused as exc:  # the policy refuses self-approval: show it
            console.print(f"Alice tries to approve her own request: [bold]{escape(str(exc))}[/]\n")
        secret = wf.remediations.stepup.enrol(APPROVER).secret  # /iam mfa-enroll, shown to Bob only
        try:
            wf.remediations.approve(request.id, APPROVER)
        except Refused as exc:  # a click alone is not enough: a stolen Slack session cannot approve
            console.print(f"Bob clicks Approve: [bold]{escape(str(exc))}[/] iambot asks for it in a dialog.\n")
        code = pyotp.TOTP(secret).now()
        console.print(f"Bob types [bold]{code}[/] from his authenticator app (enrolled with /iam mfa-enroll).\n")
        done = wf.remediations.approve(request.id, APPROVER, code)
        facts["step_up"] = True
        status = iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"]
        facts["request"], facts["key_status"] = done.status, status
        console.print(f"Request {done.id}: {done.status}. In AWS the key is now [bold]{status}[/].\n")

        console.rule("[bold]5. It was the nightly ETL after all: Alice clicks Undo; Bob approves it")
        undoing = wf.remediations.undo(done.id, REQUESTER)
        console.print(f"<@{REQUESTER}> clicked “Undo”: request {undoing.id} ({undoing.remediation_id}).\n")
        later = pyotp.TOTP(secret)
        undone = wf.remediations.approve(undoing.id, APPROVER, later.at(int(time.time()) + later.interval))
        status = iam.list_access_keys(UserName="legacy-etl")["AccessKeyMetadata"][0]["Status"]
        facts["undo"], facts["key_status_after_undo"] = undone.status, status
        console.print(f"Request {undone.id}: {undone.status}. In AWS the key is [bold]{status}[/] again.\n")

        console.rule("[bold]6. Bob dismisses the certificate rename, saying why")
        renamed = alerts[3].event.key
        wf.alerts.dismiss(renamed, APPROVER, "planned rename before the renewal, CHG-1042")
        row = store.alerts.get(renamed)
        facts["dismissed"] = row.status if row else None

        console.rule("[bold]7. Was this you? Dana says yes, with a reason; Erin says no")
        facts.update(was_this_you(console, wf, iam, t["UpdateAccessKey"], _record))
        bobs = wf.homes.for_user(APPROVER)  # what Bob sees on iambot's Home tab: Erin's quarantine waits
        home = home_view(bobs)
        facts["home_blocks"], facts["home_waiting"] = len(home["blocks"]), len(bobs.waiting)
        console.print(render_message(home["blocks"], title="Bob opens iambot's Home tab"))
        console.rule("[bold]8. The audit log")
        for row in reversed(store.audit.recent(10)):
            line = (
                f"{row['at']}  {row['user_id']:<12} {row['action']:<8} {row['request_id'] or '':<8} "
                f"{row['result']}  {row['detail'] or ''}"
            )
            console.print(escape(clean(line, 500)))
        console.rule("[bold]9. The digest")
        digest = wf.digests.scheduled(until=datetime.now(UTC) + timedelta(seconds=1))
        facts["digest_total"], facts["posted"] = digest.total, slack.posted
        facts["digest_table"] = any(b.get("type") == "table" for blocks in slack.shown.values() for b in blocks)
        facts["chart"] = slack.saved[-1] if slack.saved else None
        store.close()
    if facts["chart"] is not None:
        console.print(f"\nThe digest's chart is in [bold]{escape(str(facts['chart']))}[/]: open it to see it.")
    console.print(
        "\nNext: connect a real workspace and account. `iambot manifest` prints the Slack app manifest, "
        '`iambot policy` the IAM policy, and the README\'s "Connecting a Slack workspace" walks through '
        "the tokens; then `iambot run`. `iambot triage PATH` explains your own CloudTrail logs offline."
    )
    return facts
