"""Fixtures shared by the whole suite: AWS through moto, the loopback Slack fake, and the
runtime built from settings the way `iambot run` builds it. Helpers live in tests/support."""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

# moto must be imported before any boto3 Session is made, or its hooks miss that session.
from moto import mock_aws

from tests.support.slack_fake import SECRET, SlackFake, serve

# PostgreSQL for the store's tests: the project's machines and CI run one here (trust
# authentication, user postgres); the run makes a database of its own and drops it after.
PG_URL = os.environ.get("IAMBOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_schemas = itertools.count(1)


def _postgres_unreachable() -> str | None:
    """Why no PostgreSQL answers at PG_URL, or None when one does."""
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # any reason at all is a reason to skip (or, under CI, to fail)
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


_UNREACHABLE = pytest.StashKey[str | None]()


def pytest_configure(config: Any) -> None:
    from bot.store import redact

    why = config.stash[_UNREACHABLE] = _postgres_unreachable()
    if why is not None and os.environ.get("CI") == "true":
        pytest.exit(f"CI=true and no PostgreSQL at {redact(PG_URL)} ({why}): CI must test both backends", 3)


def pytest_terminal_summary(terminalreporter: Any, config: Any) -> None:
    """One line, even under -q: which backends the database tests ran on."""
    from bot.store import redact

    why = config.stash.get(_UNREACHABLE, None)
    if why is None:
        terminalreporter.write_line(f"PostgreSQL {redact(PG_URL)}: database tests ran on SQLite and PostgreSQL")
    else:
        terminalreporter.write_line(
            f"PostgreSQL: none at {redact(PG_URL)} ({why}): its tests were skipped (set IAMBOT_TEST_DATABASE_URL)"
        )


def _with_database(url: str, database: str, schema: str | None = None) -> str:
    parts = urlsplit(url)
    query = parts.query
    if schema:
        query = "&".join(q for q in (query, "options=" + quote(f"-csearch_path={schema}")) if q)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, query, ""))


@pytest.fixture(scope="session")
def postgres_database(pytestconfig: Any) -> Iterator[str | None]:
    """A database of this run's own on the test PostgreSQL (dropped after), or None."""
    if pytestconfig.stash[_UNREACHABLE] is None:
        import psycopg

        name = f"iambot_test_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        yield _with_database(PG_URL, name)
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        yield None


@pytest.fixture
def postgres_url(postgres_database: str | None) -> Iterator[str]:
    """A fresh, empty schema of the run's database for one test, as an IAMBOT_DB URL."""
    if postgres_database is None:
        pytest.skip("no PostgreSQL answers (see the header of this run)")
    import psycopg

    schema = f"t{next(_schemas)}_{secrets.token_hex(2)}"
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    yield _with_database(postgres_database, urlsplit(postgres_database).path.lstrip("/"), schema)
    with psycopg.connect(postgres_database, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: Any, tmp_path: Any) -> str:
    """IAMBOT_DB for a test that runs on both backends."""
    if request.param == "sqlite":
        return str(tmp_path / "iambot.db")
    return str(request.getfixturevalue("postgres_url"))


REQUESTER, APPROVER, APPROVER2, STRANGER = "UREQUEST1", "UAPPROVE1", "UAPPROVE2", "USTRANGER"
ALERTS, APPROVALS, CRITICAL = "C0ALERTS", "C0APPROVE", "C0CRITICAL"


@pytest.fixture
def assessor() -> Any:
    from bot.assess import Assessor

    return Assessor()


@pytest.fixture(scope="session")
def aws_session() -> Any:
    import boto3

    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")


@pytest.fixture
def aws(aws_session: Any) -> Iterator[Any]:
    with mock_aws():
        yield aws_session


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    fake = SlackFake()
    server, _ = serve(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def iambot_db(tmp_path: Any) -> str:
    """IAMBOT_DB of ``settings_for`` and the runtimes: SQLite in the test's folder. A test package
    that must hold on both backends overrides it with ``db_url`` (tests/workflow does)."""
    return str(tmp_path / "iambot.db")


@pytest.fixture
def settings_for(iambot_db: str, slack: SlackFake) -> Callable[..., Any]:
    """Settings from given values only: the machine's environment and files never leak in."""
    from bot.config.settings import given

    def make(**extra: Any) -> Any:
        values: dict[str, Any] = {
            "SLACK_BOT_TOKEN": "xoxb-test-not-a-real-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url + "/api/",
            "IAMBOT_DB": iambot_db,
            "IAMBOT_ALERT_CHANNEL": ALERTS,
            "IAMBOT_APPROVERS": f"{APPROVER},{APPROVER2}",
            # the fixtures' events happened days ago; tests of backfill set this themselves
            "backfill_hours": 24 * 365 * 20,
            "channel_interval_seconds": 0,
            # approvals are one click here; step-up has its own tests (tests/workflow/test_stepup.py,
            # tests/handlers/test_dialogs.py), which turn it on with TEST_SECRET_KEY
            "step_up": "off",
            # "Was this you?" DMs likewise (tests/workflow/test_questions.py, tests/handlers/test_questions.py)
            "confirm_with_actor": "off",
        }
        values.update(extra)
        return given(**values)

    return make


# a Fernet key made for the tests (Fernet.generate_key()); it protects nothing
TEST_SECRET_KEY = "bm90LWEtcmVhbC1rZXktdGVzdHMtb25seS0xMjM0NTY="


@pytest.fixture
def runtime_for(settings_for: Callable[..., Any], aws: Any) -> Iterator[Callable[..., Any]]:
    """The runtime `iambot run` builds (the Bolt app included), AWS in moto, sleeps recorded."""
    from bot.runtime.wiring import build
    from remediations.aws import Aws

    made: list[Any] = []

    def make(socket_mode: bool = False, **extra: Any) -> Any:
        sleeps: list[float] = []
        settings = settings_for(**extra)
        rt = build(settings, slack_app=True, socket_mode=socket_mode, aws=Aws.from_settings(settings, aws),
                   sleep=sleeps.append)
        rt.sleeps = sleeps
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


@pytest.fixture
def runtime(runtime_for: Callable[..., Any]) -> Any:
    return runtime_for()


@pytest.fixture
def http(runtime: Any) -> Iterator[Any]:
    """The real Bolt app behind the production HTTP front, served over loopback."""
    from tests.support.harness import HttpClient

    client = HttpClient(runtime)
    yield client
    client.close()


@pytest.fixture
def http_for() -> Iterator[Callable[..., Any]]:
    from tests.support.harness import HttpClient

    made: list[Any] = []

    def make(runtime: Any) -> Any:
        made.append(HttpClient(runtime))
        return made[-1]

    yield make
    for client in made:
        client.close()
