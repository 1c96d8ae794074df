# Redis for the scale-out profile, from Debian's package: no registry image needed.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD redis-cli ping | grep -q PONG
# Jobs survive a restart (append-only file in the volume). No password: Redis is reachable only
# on the compose network, never published.
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--appendonly", "yes", "--dir", "/var/lib/redis"]
