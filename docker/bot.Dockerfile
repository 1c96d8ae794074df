# The Telegram bot: aiogram and httpx only, no torch.
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

COPY pyproject.toml constraints.txt README.md ./
RUN mkdir -p core api bot && touch core/__init__.py api/__init__.py bot/__init__.py \
    && pip install ${PIP_EXTRA_ARGS} ".[bot,bot-redis]" \
    && pip uninstall -y stylize && rm -rf core api bot

COPY bot bot
RUN pip install ${PIP_EXTRA_ARGS} --no-deps . && python -c "import bot.app"

USER app
CMD ["python", "-m", "bot"]
