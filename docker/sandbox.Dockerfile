# The sandbox worker (python -m bot sandbox). Same base image as the bot's Dockerfile,
# so snippets run on the bot's Python version. bubblewrap makes the namespaces; Debian's
# python3-seccomp (for the system python3) builds the syscall filter. BASE_IMAGE as in
# the bot's Dockerfile (scripts/build-base-image.sh where no registry is reachable).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# Where the worker listens (the health check asks the same port): every interface of
# the container's own network, which compose keeps internal.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    TUTOR_SANDBOX_HOST=0.0.0.0 \
    TUTOR_SANDBOX_PORT=8060

RUN apt-get update \
    && apt-get install -y --no-install-recommends bubblewrap python3-seccomp \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The pinned, hash-checked dependencies first, then the bot itself with nothing more.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-deps . && useradd --system --uid 10002 --home-dir /nonexistent sandbox

# Not root: bubblewrap then works unprivileged, inside a user namespace of its own, and
# the container needs no capability at all (see docker-compose.yml).
USER sandbox
EXPOSE 8060
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['TUTOR_SANDBOX_PORT'], timeout=4)"]
CMD ["python", "-m", "bot", "sandbox"]
