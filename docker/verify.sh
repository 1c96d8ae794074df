#!/usr/bin/env bash
# Builds the images and runs them the way compose does, on a machine where containers may only
# use the host's network (no traffic over Docker's bridge networks):
#   1. a local base image (make-base-image.sh) unless BASE_IMAGE names one that exists;
#   2. the bot, api and redis images, with `docker build --network host`; pip reads wheels
#      from local PyPI mirrors (LOCAL_INDEXES) over loopback where this machine has them;
#   3. api + bot through docker-compose.yml + docker-compose.hostnet.yml with a dummy token
#      and an unreachable Telegram API: time to healthy, one real stylization, bot retrying;
#   4. the scale profile: redis, the api in enqueue-only mode and WORKERS workers;
#   5. compose refusing to start without TELEGRAM_BOT_TOKEN.
# Run as root with dockerd running (docs/deploy.md). Prints a summary at the end.
#   docker/verify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

BASE_IMAGE=${BASE_IMAGE:-stylize-base:bookworm}
PORT=${PORT:-18080}
WORKERS=${WORKERS:-2}
INDEX_PORT=${INDEX_PORT:-18081}
LOCAL_INDEXES=${LOCAL_INDEXES:-/opt/pypi-more /opt/pypi}
PIP_CERT=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}
PROJECT=stylize-verify

work=$(mktemp -d)
chmod 755 "$work"  # the containers' user reads the answers from here
index_pid=""
summary=()
note() { summary+=("$*"); echo ">>> $*"; }
fail() { echo "verify: $*" >&2; exit 1; }

cleanup() {
    set +e
    if [[ -f $work/compose.yml ]]; then compose down -v --remove-orphans >/dev/null 2>&1; fi
    [[ -n $index_pid ]] && kill "$index_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

docker info >/dev/null 2>&1 || fail "no Docker engine: start one with 'dockerd --bridge=none &'"

# --- compose: v2 reads the files as they are; Debian's docker-compose 1.29 lacks `!reset`,
# so for it the two files are merged first (maps merged, `!reset` removes the key).
if docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
else
    command -v docker-compose >/dev/null || fail "neither 'docker compose' nor docker-compose"
    compose_cmd=(docker-compose)
fi
render() {  # render OUT FILE... : the files as one compose file, for docker-compose 1.x
    python3 - "$@" <<'PY'
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


RESET = object()
Loader.add_constructor("!reset", lambda loader, node: RESET)


def merge(base, override):
    for key, value in override.items():
        if value is RESET:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


out, first, *rest = sys.argv[1:]
merged = yaml.load(open(first), Loader=Loader)
for path in rest:
    merge(merged, yaml.load(open(path), Loader=Loader))
with open(out, "w") as f:
    yaml.safe_dump(merged, f, sort_keys=False)
PY
}
if [[ ${compose_cmd[0]} == docker-compose ]]; then
    render "$work/compose.yml" docker-compose.yml docker-compose.hostnet.yml
    compose_files=(-f "$work/compose.yml")
else
    : >"$work/compose.yml"
    compose_files=(-f docker-compose.yml -f docker-compose.hostnet.yml)
fi
compose() {
    "${compose_cmd[@]}" --project-name "$PROJECT" --project-directory "$root" \
        --env-file "$work/env" "${compose_files[@]}" "$@"
}
container() { compose ps -q "$1" | head -n1; }
health() { docker inspect -f '{{.State.Health.Status}}' "$(container "$1")"; }

# --- 1. base image
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    [[ $BASE_IMAGE == stylize-base:bookworm ]] || fail "base image $BASE_IMAGE not found"
    docker/make-base-image.sh
fi

# --- 2. images. Local mirrors (PEP 503 "simple" folders) are served on loopback next to PyPI,
# which stays the source of anything they lack. pip prefers the index named last when two
# offer the same file, so the mirrors come after PyPI.
pip_args="--cert=$PIP_CERT --index-url https://pypi.org/simple"
mkdir "$work/index"
for dir in $LOCAL_INDEXES; do
    [[ -d $dir/simple ]] || continue
    name=$(basename "$dir")
    ln -s "$dir" "$work/index/$name"
    pip_args+=" --extra-index-url http://127.0.0.1:$INDEX_PORT/$name/simple"
done
if [[ -n $(ls "$work/index") ]]; then
    python3 -m http.server --bind 127.0.0.1 --directory "$work/index" "$INDEX_PORT" \
        >"$work/index.log" 2>&1 &
    index_pid=$!
    sleep 1
fi
build() {  # build NAME BASE
    local started=$SECONDS
    docker build --network host --build-arg "BASE_IMAGE=$2" --build-arg "PIP_EXTRA_ARGS=$pip_args" \
        -f "docker/$1.Dockerfile" -t "stylize-$1:latest" . >"$work/build-$1.log" 2>&1 \
        || { tail -n 30 "$work/build-$1.log"; fail "building stylize-$1 failed"; }
    note "built stylize-$1 in $((SECONDS - started)) s"
}
build bot "$BASE_IMAGE"
build api "$BASE_IMAGE"
build redis "$BASE_IMAGE"
if [[ -n $index_pid ]]; then
    note "wheels fetched from the local mirrors (0 when pip's layers were cached): $(grep -c 'GET /[^ ]*/files/' "$work/index.log")"
    kill "$index_pid" && index_pid=""
fi
for image in "$BASE_IMAGE" stylize-api stylize-bot stylize-redis; do
    note "image $image: $(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
done

# The images themselves: non-root, weights inside the api image (no network at all), no torch
# in the bot image.
note "api image user: $(docker run --rm --network none stylize-api id -un)"
docker run --rm --network none stylize-api python -c \
    "import core.engine; core.engine.Engine.load('cpu')" \
    || fail "the engine does not load without network"
note "api image: Engine.load('cpu') works with --network none"
docker run --rm --network none stylize-bot python -c \
    "import importlib.util as u, bot.app; assert u.find_spec('torch') is None" \
    || fail "torch found in the bot image"
note "bot image: no torch, bot.app imports; user $(docker run --rm --network none stylize-bot id -un)"

stylize() {  # stylize OUT: one small job through POST /stylize, then decode the answer
    local status
    status=$(curl -sS -o "$work/$1" -w '%{http_code} %{time_total}' \
        -F content=@examples/content/chelsea.jpg -F preset=starry_night -F size=128 -F steps=20 \
        "http://127.0.0.1:$PORT/stylize")
    [[ ${status%% *} == 200 ]] || { cat "$work/$1"; fail "POST /stylize answered $status"; }
    docker run --rm --network none -v "$work:/w:ro" stylize-api python -c \
        "from PIL import Image; im = Image.open('/w/$1'); im.load(); print(im.format, im.size)" \
        >"$work/$1.txt"
    echo "$(cat "$work/$1.txt"), HTTP 200 in ${status#* } s"
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.1f", b - a}'; }
wait_ready() {  # wait_ready SECONDS: until /readyz answers 200, polled every 0.25 s
    for _ in $(seq $(($1 * 4))); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/readyz" 2>/dev/null && return 0
        sleep 0.25
    done
    return 1
}
wait_healthy() {  # wait_healthy SERVICE SECONDS
    for _ in $(seq "$2"); do
        [[ $(health "$1") == healthy ]] && return 0
        sleep 1
    done
    compose logs "$1" | tail -n 30
    fail "$1 not healthy after $2 s"
}

# --- 3. api + bot, as `docker compose up` starts them
cat >"$work/env" <<EOF
PORT=$PORT
DEVICE=cpu
TELEGRAM_BOT_TOKEN=123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
TELEGRAM_API_BASE=http://127.0.0.1:9
EOF
started=$EPOCHREALTIME
compose up -d --no-build >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "compose up failed"; }
up_s=$(since "$started")
# `up -d` returns once the bot has started, i.e. after the api's health check passed.
note "compose up (api healthy, then the bot started): ${up_s} s; api: $(health api)"
api_started=$(docker inspect -f '{{.State.StartedAt}}' "$(container api)")
bot_started=$(docker inspect -f '{{.State.StartedAt}}' "$(container bot)")
note "bot started $(python3 -c "
from datetime import datetime as d
f = lambda s: d.fromisoformat(s[:26].rstrip('Z'))
print(round((f('$bot_started') - f('$api_started')).total_seconds(), 1))") s after the api"
note "api readiness: $(curl -fsS "http://127.0.0.1:$PORT/readyz")"
note "api log, ready line: $(compose logs api | grep -m1 -o '"message": *"ready".*' || true)"
note "stylize via compose stack: $(stylize out.png)"
sleep 5
[[ $(docker inspect -f '{{.State.Running}}' "$(container bot)") == true ]] \
    || fail "the bot exited without Telegram"
note "bot without Telegram: running, last log: $(compose logs --no-log-prefix bot 2>/dev/null | tail -n1 || compose logs bot | tail -n1)"

# Start-up alone, without compose's health polling: stop the api, then time start to /readyz.
docker stop "$(container api)" >/dev/null
started=$EPOCHREALTIME
docker start "$(container api)" >/dev/null
wait_ready 180 || fail "the api did not become ready"
note "api container start to /readyz 200 (model loaded and warmed): $(since "$started") s"
compose down -v --remove-orphans >/dev/null 2>&1

# --- 4. scale-out: redis, the api only enqueuing, $WORKERS workers
ss -ltn | grep -q ':6379 ' && fail "port 6379 is taken on this host"
cat >>"$work/env" <<EOF
COMPOSE_PROFILES=scale
REDIS_URL=redis://127.0.0.1:6379/0
EOF
started=$EPOCHREALTIME
compose up -d --no-build --scale "worker=$WORKERS" api redis worker >"$work/up.log" 2>&1 \
    || { cat "$work/up.log"; fail "compose up (scale) failed"; }
wait_healthy api 120
note "scale profile up, api healthy (enqueue-only): $(since "$started") s;" \
    "readyz: $(curl -fsS "http://127.0.0.1:$PORT/readyz")"
for _ in $(seq 240); do
    (($(compose logs worker | grep -c 'worker ready') >= WORKERS)) && break
    sleep 1
done
note "workers ready: $(compose logs worker | grep -c 'worker ready') of $WORKERS"
note "stylize via redis + workers: $(stylize out-scale.png)"
note "jobs finished per worker container (SAQ's log): $(for c in $(compose ps -q worker); do
    docker logs "$c" 2>&1 | grep -ci 'finished' | tr '\n' ' '; done)"
compose down -v --remove-orphans >/dev/null 2>&1

# --- 5. the token is required
grep -v TELEGRAM_BOT_TOKEN "$work/env" >"$work/env.notoken"
mv "$work/env.notoken" "$work/env"
if message=$(env -u TELEGRAM_BOT_TOKEN "${compose_cmd[@]}" --project-name "$PROJECT" \
    --project-directory "$root" --env-file "$work/env" "${compose_files[@]}" config 2>&1); then
    fail "compose accepted a missing TELEGRAM_BOT_TOKEN"
fi
note "without TELEGRAM_BOT_TOKEN, compose stops: ...$(echo "$message" | tail -n1 | sed 's/.*in service/in service/')"

echo
echo "== summary (${compose_cmd[*]}, $(docker version -f 'engine {{.Server.Version}}')) =="
printf '%s\n' "${summary[@]}"
