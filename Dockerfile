# The Discord bot. The sandbox worker has its own image (docker/sandbox.Dockerfile);
# docker-compose.yml runs both. BASE_IMAGE: the official image by default; on a machine
# that reaches no image registry, scripts/build-base-image.sh makes an equivalent one.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TUTOR_DB=/data/tutor.sqlite3 \
    TUTOR_CONTENT=/app/content

WORKDIR /app
# pg_dump and pg_restore for `db backup` and `db restore` when TUTOR_DB is PostgreSQL
# (compose's profile `scale`); Debian's, the same major version as its server.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
# The pinned, hash-checked dependencies first (a layer that changes only with the lock),
# then the bot itself without letting pip resolve anything more.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-deps . && useradd --system --uid 10001 --home-dir /app tutor \
    && mkdir -p /data && chown tutor /data
COPY content ./content

USER tutor
VOLUME ["/data"]
# `python -m bot health` reads the heartbeat beside TUTOR_DB (TUTOR_HEALTH_FILE elsewhere).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
