# The Telegram bot: aiogram, httpx and Fluent only. It talks to the API over HTTP and installs
# no engine and no torch, so the image stays small.
#   docker build -f docker/bot.Dockerfile -t stylize-bot .
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

# Dependencies before sources, pinned by constraints.txt, as in api.Dockerfile. bot-redis: conversation state in Redis
# when REDIS_URL is set.
COPY pyproject.toml constraints.txt ./
RUN mkdir -p core api bot \
    && touch core/__init__.py api/__init__.py bot/__init__.py README.md \
    && pip install ${PIP_EXTRA_ARGS} -c constraints.txt ".[bot,bot-redis]" \
    && pip uninstall -y stylize \
    && rm -rf core api bot README.md build *.egg-info

COPY README.md ./
COPY bot bot
RUN pip install ${PIP_EXTRA_ARGS} --no-deps . \
    && rm -rf build *.egg-info \
    && python -c "import bot.app"

USER app
CMD ["python", "-m", "bot"]
