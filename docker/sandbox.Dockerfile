# The sandbox worker (python -m bot sandbox). Same base image as the bot's Dockerfile,
# so snippets run on the bot's Python version. bubblewrap makes the namespaces; Debian's
# python3-seccomp (for the system python3) builds the syscall filter.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

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
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8060/health', timeout=4)"]
CMD ["python", "-m", "bot", "sandbox", "--host", "0.0.0.0", "--port", "8060"]
