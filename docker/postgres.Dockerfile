# PostgreSQL for the compose profile `scale` (docker-compose.yml): Debian's own
# `postgresql` package on the bot's base image, so no image registry is needed
# (BASE_IMAGE as in the bot's Dockerfile; scripts/build-base-image.sh where no registry
# is reachable). docker/postgres-start.sh makes the cluster at first start, in the volume.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

# The package would make a cluster of its own at install time; ours is made at first
# start, into the volume, with the password from the environment.
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/lib/postgresql/*/bin /usr/lib/postgresql/bin \
    && mkdir -p /var/lib/postgresql/data \
    && chown postgres:postgres /var/lib/postgresql/data \
    && chmod 700 /var/lib/postgresql/data

# PGHOST: the server's socket folder (a tmpfs; the root filesystem is read-only), which
# the start script and the health check use. PGPORT: the port it listens on (the
# deploy test moves it to a free one); POSTGRES_LISTEN: its addresses ('*': the
# container's own network, which compose keeps internal; 127.0.0.1 under host networking).
ENV PATH=/usr/lib/postgresql/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    PGHOST=/tmp \
    PGPORT=5432 \
    POSTGRES_USER=tutor \
    POSTGRES_DB=tutor \
    POSTGRES_LISTEN=*
COPY docker/postgres-start.sh /usr/local/bin/postgres-start

USER postgres
VOLUME ["/var/lib/postgresql/data"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["sh", "-c", "pg_isready -q -d \"$POSTGRES_DB\" -U \"$POSTGRES_USER\""]
CMD ["sh", "/usr/local/bin/postgres-start"]
