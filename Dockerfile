# iambot's image (issue 18): `iambot run --http` as PID 1, non-root, from the hashed lock.
#
#   docker build -t iambot .
#   docker run --read-only --tmpfs /tmp -p 3000:3000 -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET \
#     -e IAMBOT_ALERT_CHANNEL -e IAMBOT_APPROVERS -v iambot-data:/var/lib/iambot iambot
#
# tests/test_dockerfile.py lints this file with hadolint and runs its ENTRYPOINT, CMD and
# HEALTHCHECK, exactly as written here, against a virtualenv built from the same lock.

# One base for both stages: the virtualenv copied from the builder points at this image's
# /usr/local/bin/python3.11, so the two must be the same interpreter. Named once, literally, so
# hadolint checks its tag (an ARG in FROM would hide it).
FROM python:3.11-slim AS base

FROM base AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
# The runtime lock only (no test tools), every file checked against its hash, wheels only: the
# slim image has no compiler, and an sdist should fail the build rather than half-build.
# setuptools comes from that lock too, so building iambot itself fetches nothing unpinned.
COPY requirements/runtime.txt /src/requirements/runtime.txt
RUN python -m venv /opt/iambot-venv \
    && /opt/iambot-venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r /src/requirements/runtime.txt
COPY pyproject.toml README.md /src/
COPY bot /src/bot
COPY handlers /src/handlers
COPY remediations /src/remediations
RUN /opt/iambot-venv/bin/pip install --no-cache-dir --no-deps --no-build-isolation /src

FROM base
LABEL org.opencontainers.image.title="iambot" \
      org.opencontainers.image.description="Slack bot that explains AWS IAM CloudTrail events and remediates after approval" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it; its only writable place is
# the data directory (and /tmp). The virtualenv stays root's: the code cannot be changed.
RUN groupadd --system --gid 10001 iambot \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/iambot --no-create-home \
        --shell /usr/sbin/nologin iambot \
    && install -d -o 10001 -g 10001 -m 0700 /var/lib/iambot
# At the builder's path: the #! lines of its scripts (bin/iambot) name it.
COPY --from=builder /opt/iambot-venv /opt/iambot-venv
ENV PATH=/opt/iambot-venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    IAMBOT_DB=/var/lib/iambot/iambot.db \
    PORT=3000
# SQLite (the default IAMBOT_DB) lives here, and ./iambot.toml is read from here if present. Keep
# it on a local disk: SQLite's WAL needs one host (never NFS or EFS). With IAMBOT_DB=postgresql://…
# nothing is written here.
WORKDIR /var/lib/iambot
VOLUME ["/var/lib/iambot"]
USER 10001:10001
EXPOSE 3000
# iambot handles SIGTERM itself (bot/runtime/run.py) and exits 0 within 5 s, so it runs as PID 1
# with no init: the exec forms below start it with no shell in between. (As PID 1 it gets only the
# signals it handles: run.py sets its handler before anything else, so only a SIGTERM sent while
# Python itself starts, a few tenths of a second, is dropped.)
STOPSIGNAL SIGTERM
# Liveness (/healthz) on PORT, with the standard library only: the image has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import http.client, os; c = http.client.HTTPConnection('127.0.0.1', int(os.environ.get('PORT', '3000')), timeout=4); c.request('GET', '/healthz'); raise SystemExit(c.getresponse().status != 200)"]
ENTRYPOINT ["iambot"]
CMD ["run", "--http"]
