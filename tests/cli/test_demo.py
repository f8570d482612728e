"""`iambot demo`: the whole product on embedded defaults, against moto, drawn in the terminal."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.demo import run_demo
from tests.support.cli import clean_environment, invoke


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # rich draws panels this wide: no wrapping inside a button


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def shown(folder):
    """What `iambot demo` prints, as a person runs it (its own process, no iambot settings)."""
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": "/nonexistent"}
    done = subprocess.run([str(Path(sys.executable).with_name("iambot")), "demo"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_the_digest_shows_its_table_and_saves_its_chart(shown, folder):
    out = " ".join(shown.stdout.split())
    assert "Counted by Which Events" in out and "severity critical 1" in out and "account 123456789012 7" in out
    chart = folder / "iambot-demo" / "digest-chart.png"  # next to where the demo ran, for a newcomer to open
    assert f"The digest's chart is in {chart.resolve()}" in out
    data = chart.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1000, 500)


def test_demo_plays_the_whole_product_against_moto(shown):
    out = " ".join(shown.stdout.split())
    for title in (
        "Access key status changed",
        "Console password",
        "Signing certificate",
        "Server certificate",
        "OIDC provider thumbprints",
    ):
        assert title.lower() in out.lower(), title
    assert "[ Deactivate the access key ]" in out
    assert "You asked for this remediation; someone else must approve it." in out
    assert "In AWS the key is now" in out and "succeeded" in out
    assert "iambot digest" in out and "7 identity event(s)" in out  # the five, and two answered "Was this you?"
    assert "Was this you?" in out and " confirmed: rotating the ETL key" in out and "says this wasn't them" in out
    assert "iambot manifest" in out  # says what to do next
    assert "Traceback" not in shown.stderr


def test_demo_in_process_exits_0():
    result = invoke("demo")
    assert result.exit_code == 0, result.stderr
    assert "7 identity event(s)" in " ".join(result.stdout.split())


def test_demo_shows_no_markup_literally(shown):
    out = " ".join(shown.stdout.split())
    assert "In AWS the key is now Inactive" in out
    assert "[bold]" not in out and "[/]" not in out


def test_titled_sections_break_the_line(shown):
    assert "What happened⏎" not in shown.stdout
    assert "⏎" not in shown.stdout


def test_demo_facts(tmp_path):
    facts = run_demo()
    assert [name for name, _ in facts["alerts"]] == [
        "UpdateAccessKey",
        "UpdateLoginProfile",
        "UploadSigningCertificate",
        "UpdateServerCertificate",
        "UpdateOpenIDConnectProviderThumbprint",
    ]
    assert facts["request"] == "succeeded" and facts["key_status"] == "Inactive"
    assert facts["step_up"] is True  # approved with a code from Bob's authenticator
    assert facts["undo"] == "succeeded" and facts["key_status_after_undo"] == "Active"
    assert facts["dismissed"] == "dismissed"
    assert facts["details_blocks"] >= 8  # the Details modal, one tap away
    assert facts["home_blocks"] >= 4 and facts["home_waiting"] == 1  # Bob's Home tab: the quarantine waits for him
    assert facts["digest_total"] == 7  # and two more for "Was this you?"
    assert (facts["asked"], facts["yes"], facts["no"], facts["raised_to"]) == (2, "yes", "no", "high")
    assert facts["quarantine"] == ("deactivate-access-key", "requested")  # it still needs an approval
    assert facts["digest_table"] is True  # the counts in a table block
    assert facts["chart"] == (tmp_path / "iambot-demo" / "digest-chart.png").resolve() and facts["chart"].is_file()
    assert facts["posted"] >= 7  # five alerts, the approval in its thread, the digest
