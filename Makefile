# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
EXTRAS ?= api,bot,dev

.PHONY: run test redis-server chromium worker lint format bench train compare install gpu-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

# The bot runs beside the service only when a token is configured; it stops with the service.
run: install
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ]; then \
		$(BIN)/python -m bot & bot_pid=$$!; \
		trap 'kill $$bot_pid 2>/dev/null' EXIT INT TERM; \
		HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m api; \
	else \
		HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m api; \
	fi

# A queue worker for the Redis mode: reads REDIS_URL (and DEVICE), runs jobs one at a time.
worker: install
	$(BIN)/python -m api.redis_worker

# The queue tests start their own Redis on loopback from Debian's redis-server package.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && apt-get install -y -qq redis-server) >/dev/null; \
		else \
			echo "the tests need redis-server: sudo apt-get install redis-server" >&2; exit 1; \
		fi; }

# The browser tests drive Debian's headless chromium through its chromium-driver.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && [ -x /usr/bin/chromedriver ]; } || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			(apt-get update -qq && apt-get install -y -qq chromium chromium-driver) >/dev/null; \
		else \
			echo "the tests need chromium: sudo apt-get install chromium chromium-driver" >&2; exit 1; \
		fi; }

test: install redis-server chromium
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# Every benchmark (hours on a small CPU); results land in docs/bench/. SUITES=... picks some.
bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py $(if $(SUITES),--only $(SUITES))

# The photos the shipped checkpoints were trained on, then the training runs themselves.
train: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[train]"
	bash scripts/training_photos.sh
	bash scripts/style_data.sh
	bash scripts/train_shipped.sh
	$(BIN)/python scripts/plot_training.py runs/*.csv --out docs/images/training

# Every method side by side on examples/ x the presets: sheets and a table in docs/compare/
# (hours on a small CPU). COMPARE_ARGS narrows it, e.g. COMPARE_ARGS="--styles starry_night".
compare: install
	$(BIN)/python benchmarks/compare.py $(COMPARE_ARGS)

# On a CUDA machine: the GPU tests, the figures and the goals, in one folder (summary.md
# there). No install step, so that a machine that cannot reach the package index can run it
# (benchmarks/gpu_check.py says how to set one up). DEVICE=cpu SMOKE=1 runs it all tiny.
gpu-check: DEVICE ?= cuda
gpu-check: OUT ?= gpu-check
gpu-check:
	$(BIN)/python benchmarks/gpu_check.py --device $(DEVICE) $(if $(filter-out 0,$(SMOKE)),--smoke) --out $(OUT)
